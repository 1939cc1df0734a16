"""A fully connected feed-forward network (multilayer perceptron)."""

from torch import nn

from sklearn_deep.nn._activations import make_activation
from sklearn_deep.nn._dropout import Dropout
from sklearn_deep.nn._init import initialize_linear


class MultilayerPerceptron(nn.Sequential):
    """Fully connected layers with an activation between them; raw outputs.

    Each hidden block is ``Linear -> [BatchNorm1d] -> activation -> [Dropout]``.
    The last layer is linear: the output non-linearity (softmax, sigmoid) belongs
    to the loss, which is more stable on logits. With no hidden layers the network
    is a single linear map, i.e. a linear or logistic regression.

    It is an ``nn.Sequential`` so that its forward pass costs no more than a
    hand-written stack of layers.

    Parameters
    ----------
    n_features : int
        Width of the input.
    hidden_layer_sizes : sequence of int
        Width of each hidden layer, possibly empty.
    n_outputs : int
        Width of the output.
    activation : str, default="relu"
        Name of the hidden activation (see ``ACTIVATIONS``).
    dropout : float, default=0.0
        Probability of zeroing a hidden unit during training; the masks are
        drawn from the generator of the ``Dropout`` layers (see ``draw_from``).
    batch_norm : bool, default=False
        Whether to normalise each hidden layer's pre-activations over the batch.
    """

    def __init__(
        self,
        n_features,
        hidden_layer_sizes,
        n_outputs,
        *,
        activation="relu",
        dropout=0.0,
        batch_norm=False,
    ):
        layers = []
        widths = [n_features, *hidden_layer_sizes]
        for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
            layers.append(nn.Linear(n_in, n_out))
            if batch_norm:
                layers.append(nn.BatchNorm1d(n_out))
            layers.append(make_activation(activation))
            if dropout > 0:
                layers.append(Dropout(dropout))
        layers.append(nn.Linear(widths[-1], n_outputs))
        super().__init__(*layers)

    @property
    def linear_layers(self):
        """The ``nn.Linear`` layers, input to output."""
        return [layer for layer in self if isinstance(layer, nn.Linear)]

    def reset_parameters(self, weight_init, generator, *, sparse_density=0.1):
        """Initialise every linear layer by ``weight_init`` from ``generator``."""
        for layer in self.linear_layers:
            initialize_linear(
                layer, weight_init, generator, sparse_density=sparse_density
            )
        for layer in self:
            if isinstance(layer, nn.BatchNorm1d):
                layer.reset_parameters()
                layer.reset_running_stats()
