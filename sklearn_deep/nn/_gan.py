"""The two networks of a generative adversarial network, and PacGAN's packing.

A generator maps latent noise ``z`` (and, for a conditional model, a one-hot
class) to a sample; a discriminator scores samples, real against generated
(Goodfellow et al., 2014, "Generative Adversarial Nets"). PacGAN's packing
(Lin et al., 2018, "PacGAN: The power of two samples in generative adversarial
networks") lets the discriminator judge ``pac`` samples at once, concatenated
into one input: a generator that puts all its samples on few modes makes packs
that look unlike real packs, so mode collapse is penalised.
"""

import torch
from torch import nn

from sklearn_deep.nn._init import torch_default_uniform
from sklearn_deep.nn._mlp import MultilayerPerceptron

# The discriminator's leaky ReLU slope, the usual choice for GANs since DCGAN
# (Radford et al., 2016): gradients still flow through its negative side back
# to the generator.
DISCRIMINATOR_SLOPE = 0.2


class Discriminator(nn.Sequential):
    """A fully connected critic of packs of ``pac`` samples; one raw score each.

    Parameters
    ----------
    n_inputs : int
        Width of one sample (its features, plus its one-hot class when the
        model is conditional).
    hidden_layer_sizes : sequence of int
        Widths of the hidden layers, each followed by a leaky ReLU (slope 0.2).
    pac : int, default=1
        Samples per pack: the input is ``pac * n_inputs`` wide.
    """

    def __init__(self, n_inputs, hidden_layer_sizes, pac=1):
        layers = []
        widths = [n_inputs * pac, *hidden_layer_sizes]
        for n_in, n_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(DISCRIMINATOR_SLOPE)]
        layers.append(nn.Linear(widths[-1], 1))
        super().__init__(*layers)
        self.pac = pac

    def forward(self, samples):
        """Scores of the packs of ``samples`` (rows ``pac * k`` to ``pac * k + pac - 1``
        form pack ``k``; their number must be a multiple of ``pac``)."""
        if samples.shape[0] % self.pac:
            raise ValueError(
                f"The discriminator judges packs of pac={self.pac} samples: got "
                f"{samples.shape[0]} rows, not a multiple of {self.pac}."
            )
        packs = samples.reshape(samples.shape[0] // self.pac, -1)
        return super().forward(packs).squeeze(1)


class GenerativeAdversarialNetwork(nn.Module):
    """A generator and a discriminator, trained against each other.

    Parameters
    ----------
    n_features : int
        Width of a sample.
    latent_dim : int
        Width of the generator's standard normal input ``z``.
    generator_hidden_layer_sizes, discriminator_hidden_layer_sizes : sequence of int
        Hidden widths of each network.
    n_classes : int, default=0
        For a conditional model, the number of classes, whose one-hot code is
        an input of both networks; 0 for an unconditional one.
    activation : str, default="relu"
        The generator's hidden activation.
    pac : int, default=1
        Samples per pack of the discriminator.
    """

    def __init__(
        self,
        n_features,
        latent_dim,
        generator_hidden_layer_sizes,
        discriminator_hidden_layer_sizes,
        *,
        n_classes=0,
        activation="relu",
        pac=1,
    ):
        super().__init__()
        self.latent_dim = latent_dim
        self.n_classes = n_classes
        self.generator = MultilayerPerceptron(
            latent_dim + n_classes,
            generator_hidden_layer_sizes,
            n_features,
            activation=activation,
        )
        self.discriminator = Discriminator(
            n_features + n_classes, discriminator_hidden_layer_sizes, pac
        )

    def reset_parameters(self, generator):
        """torch's default initialisation of every layer, drawn from ``generator``."""
        for layer in self.modules():
            if isinstance(layer, nn.Linear):
                torch_default_uniform(layer, generator)

    def generate(self, z, condition=None):
        """Samples from latent ``z`` (and one-hot ``condition`` rows)."""
        if condition is not None:
            z = torch.cat([z, condition], dim=1)
        return self.generator(z)

    def critic(self, samples, condition=None):
        """The discriminator's scores of the packs of ``samples``."""
        if condition is not None:
            samples = torch.cat([samples, condition], dim=1)
        return self.discriminator(samples)

    def forward(self, z, condition=None):
        return self.generate(z, condition)
