"""Convolutional networks for signals and images: CNNClassifier, CNNRegressor.

The family is named after the operation its estimators share, the
convolution, rather than after one kind of data: the same estimators take 1-D
signals (``input_shape=(channels, length)``) and 2-D images
(``input_shape=(channels, height, width)``).
"""

from sklearn_deep.convolutional._cnn import CNNClassifier, CNNRegressor

__all__ = ["CNNClassifier", "CNNRegressor"]
