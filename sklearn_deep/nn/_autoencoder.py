"""An autoencoder: an encoder MLP down to a narrow code and a mirrored decoder.

The network learns ``x -> code -> x_hat`` with ``code = g(encoder(x))`` and
``x_hat = decoder(code)``. Its decoder mirrors the encoder's hidden widths; with
tied weights each decoder layer reuses the transpose of the matching encoder
weight matrix (with its own bias), which halves the parameters and, for a linear
network, pulls the solution towards an orthogonal projection like PCA's.

A denoising autoencoder (Vincent et al., 2008) corrupts its input during
training only and learns to reconstruct the clean input: ``InputNoise`` adds
Gaussian noise or zeroes a random fraction of the features. Like dropout it is
inactive in ``eval()`` mode and draws from its ``generator`` (see
``sklearn_deep.nn.draw_from``), which the training engine sets for each fit, so
results depend on the estimator's seed only.
"""

import torch
from torch import nn
from torch.nn import functional as F

from sklearn_deep.nn._activations import make_activation
from sklearn_deep.nn._dropout import RandomDraws
from sklearn_deep.nn._mlp import MultilayerPerceptron

NOISE_TYPES = ("gaussian", "masking")


class InputNoise(RandomDraws, nn.Module):
    """Corrupt the input in training mode; the identity in ``eval()`` mode.

    Parameters
    ----------
    noise_type : {"gaussian", "masking"}
        "gaussian" adds ``level * N(0, 1)`` to every feature; "masking" sets each
        feature to zero with probability ``level`` (no rescaling: the decoder must
        fill the gaps, not learn a different input scale).
    level : float
        The standard deviation, or the masked fraction.
    generator : torch.Generator, default=None
        Where the noise is drawn from (torch's global generator when None); the
        ``generator`` attribute, which ``draw_from`` sets.
    """

    def __init__(self, noise_type="gaussian", level=0.0, *, generator=None):
        super().__init__()
        if noise_type not in NOISE_TYPES:
            raise ValueError(
                f"Unknown noise_type {noise_type!r}; expected one of {NOISE_TYPES}."
            )
        self.noise_type = noise_type
        self.level = float(level)
        self.generator = generator

    def forward(self, x):
        if not self.training or self.level == 0:
            return x
        options = dict(dtype=x.dtype, device=x.device, generator=self.generator)
        if self.noise_type == "gaussian":
            return x + self.level * torch.randn(x.shape, **options)
        return x * (torch.rand(x.shape, **options) >= self.level).to(x.dtype)

    def extra_repr(self):
        return f"noise_type={self.noise_type!r}, level={self.level}"


class TransposedLinear(nn.Module):
    """``y = x W^T + b`` with ``W`` the transpose of another layer's weight.

    The source layer is kept out of this module's registered children so that
    its weight is a parameter of the encoder only: the optimiser and the weight
    penalties see it once.
    """

    def __init__(self, source):
        super().__init__()
        self._source = [source]
        self.bias = nn.Parameter(torch.zeros(source.in_features))

    @property
    def weight(self):
        return self._source[0].weight.t()

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def reset_parameters(self):
        with torch.no_grad():
            self.bias.zero_()


class AutoencoderNetwork(nn.Module):
    """Encoder MLP, code activation and a mirrored decoder MLP.

    ``forward(x)`` returns ``(reconstruction, code)``. The reconstruction is raw:
    a logistic output belongs to the loss (binary cross-entropy on logits),
    which is more stable, as for ``MultilayerPerceptron``.

    Parameters
    ----------
    n_features : int
        Width of the input and of the reconstruction.
    hidden_layer_sizes : sequence of int
        Widths of the encoder's hidden layers; the decoder uses them reversed.
    n_components : int
        Width of the code.
    activation : str, default="relu"
        Activation of the hidden layers of encoder and decoder.
    code_activation : str, default="identity"
        Activation applied to the code.
    tied_weights : bool, default=False
        Whether the decoder reuses the transposed encoder weights.
    noise_type : {"gaussian", "masking"}, default="gaussian"
        How the input is corrupted during training (see ``InputNoise``).
    noise : float, default=0.0
        The noise level; 0 trains a plain autoencoder.
    dropout : float, default=0.0
        Probability of zeroing a hidden unit during training.
    batch_norm : bool, default=False
        Whether to batch-normalise each hidden layer before its activation.
    """

    def __init__(
        self,
        n_features,
        hidden_layer_sizes,
        n_components,
        *,
        activation="relu",
        code_activation="identity",
        tied_weights=False,
        noise_type="gaussian",
        noise=0.0,
        dropout=0.0,
        batch_norm=False,
    ):
        super().__init__()
        hidden = list(hidden_layer_sizes)
        options = dict(activation=activation, dropout=dropout, batch_norm=batch_norm)
        self.noise = InputNoise(noise_type, noise)
        self.encoder = MultilayerPerceptron(n_features, hidden, n_components, **options)
        self.code_activation = make_activation(code_activation)
        self.decoder = MultilayerPerceptron(
            n_components, hidden[::-1], n_features, **options
        )
        if tied_weights:
            sources = self.encoder.linear_layers[::-1]
            positions = [
                i
                for i, layer in enumerate(self.decoder)
                if isinstance(layer, nn.Linear)
            ]
            for position, source in zip(positions, sources, strict=True):
                self.decoder[position] = TransposedLinear(source)

    def encode(self, x):
        """The code of ``x`` (no noise in ``eval()`` mode)."""
        return self.code_activation(self.encoder(x))

    def decode(self, code):
        """The raw reconstruction of a code."""
        return self.decoder(code)

    def forward(self, x):
        code = self.encode(self.noise(x))
        return self.decode(code), code

    def reset_parameters(self, weight_init, generator, *, sparse_density=0.1):
        """Initialise every weight by ``weight_init`` from ``generator``."""
        for part in (self.encoder, self.decoder):
            part.reset_parameters(weight_init, generator, sparse_density=sparse_density)
        for layer in self.decoder:
            if isinstance(layer, TransposedLinear):
                layer.reset_parameters()
