"""Generative models: estimators that learn a distribution and sample from it."""

from sklearn_deep.generative._gan import GAN

__all__ = ["GAN"]
