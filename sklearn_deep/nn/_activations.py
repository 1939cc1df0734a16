"""Hidden-unit activations by name, under scikit-learn's names where they exist."""

from torch import nn

# Slope of leaky ReLU for negative inputs: the common default (Maas et al., 2013).
LEAKY_RELU_SLOPE = 0.01

ACTIVATIONS = {
    "identity": nn.Identity,
    "logistic": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(LEAKY_RELU_SLOPE),
}


def make_activation(name):
    """Return a new activation module for ``name`` (a key of ``ACTIVATIONS``)."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"Unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}."
        ) from None
