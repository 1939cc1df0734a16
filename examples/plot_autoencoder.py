"""
Autoencoder versus PCA on handwritten digits, and pre-training with it
======================================================================

``sklearn_deep.Autoencoder`` is a transformer like ``PCA``: ``transform``
gives a code of ``n_components`` numbers per image and ``inverse_transform``
turns a code back into an image. PCA's code is the best *linear* one; the
autoencoder's encoder and decoder are small neural networks, so with the same
code size it reconstructs the digits more faithfully.

Its encoder also serves as a starting point for a classifier: fitted on all
the images without their labels, it initialises the first layers of an
``MLPClassifier`` that then sees only 50 labelled images.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from sklearn_deep import Autoencoder, MLPClassifier

warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel intensities in [0, 1]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)


def reconstruction_error(model, X):
    """Mean squared error per pixel of ``model``'s reconstruction of ``X``."""
    return np.mean((model.inverse_transform(model.transform(X)) - X) ** 2)


# %%
# Reconstruction error on the held-out images, for a code of 8 numbers. The
# autoencoder is 64 -> 128 -> 8 -> 128 -> 64 with ReLU hidden layers.
pca = PCA(n_components=8).fit(X_train)
start = time.perf_counter()
autoencoder = Autoencoder(
    n_components=8,
    hidden_layer_sizes=(128,),
    learning_rate_init=0.01,
    max_iter=50,
    random_state=0,
    device="cpu",
).fit(X_train)
seconds = time.perf_counter() - start
pca_error = reconstruction_error(pca, X_test)
ae_error = reconstruction_error(autoencoder, X_test)
print(f"autoencoder: {autoencoder.n_iter_} epochs in {seconds:.1f} s")
print(f"test reconstruction error, PCA:         {pca_error:.4f}")
print(f"test reconstruction error, autoencoder: {ae_error:.4f}")
print(f"autoencoder / PCA: {ae_error / pca_error:.2f}")

# %%
# Two-dimensional codes, to look at. How well do they keep the classes apart?
# The accuracy of a 5-nearest-neighbour classifier on the codes says it in one
# number (the codes were learned without the labels).
pca_2d = PCA(n_components=2).fit(X_train)
autoencoder_2d = Autoencoder(
    n_components=2,
    hidden_layer_sizes=(128,),
    learning_rate_init=0.01,
    max_iter=100,
    random_state=0,
    device="cpu",
).fit(X_train)
for name, model in [("PCA", pca_2d), ("autoencoder", autoencoder_2d)]:
    knn = KNeighborsClassifier(5).fit(model.transform(X_train), y_train)
    print(
        f"2-D codes of {name}: test reconstruction error "
        f"{reconstruction_error(model, X_test):.4f}, "
        f"5-NN test accuracy {knn.score(model.transform(X_test), y_test):.3f}"
    )

# %%
# Pre-training: a denoising autoencoder fitted on every image (no labels)
# initialises the first two layers of a 64 -> 256 -> 32 -> 10 classifier that
# then learns from 50 labelled images. Its first 100 epochs train only the new
# output layer, so that its random start cannot wash out the pre-trained
# features; then every layer is fine-tuned. On digits the gain is small: a
# linear model on raw pixels is already at about 85%.
pretrained_encoder = Autoencoder(
    n_components=32,
    hidden_layer_sizes=(256,),
    code_activation="relu",
    noise=0.2,
    max_iter=150,
    tol=1e-6,
    learning_rate_init=0.003,
    random_state=0,
    device="cpu",
).fit(np.vstack([X_train, X_test]))
accuracies = []
for seed in range(5):
    labelled, _ = train_test_split(
        np.arange(len(y_train)), train_size=50, stratify=y_train, random_state=seed
    )
    params = dict(
        hidden_layer_sizes=(256, 32),
        learning_rate_init=0.003,
        max_iter=200,
        random_state=seed,
        device="cpu",
    )
    models = [
        MLPClassifier(**params),
        MLPClassifier(**params, init=pretrained_encoder, freeze_init_epochs=100),
    ]
    accuracies.append(
        [
            m.fit(X_train[labelled], y_train[labelled]).score(X_test, y_test)
            for m in models
        ]
    )
accuracies = np.asarray(accuracies)
print("test accuracy with 50 labels, per seed (from scratch, pre-trained):")
for seed, (scratch, pretrained) in enumerate(accuracies):
    print(f"  seed {seed}: {scratch:.3f}  {pretrained:.3f}")
scratch_mean, pretrained_mean = accuracies.mean(axis=0)
print(f"  mean:   {scratch_mean:.3f}  {pretrained_mean:.3f}")

# %%
n_images = 10
rows = [
    ("original", X_test[:n_images]),
    ("PCA, 8 components", pca.inverse_transform(pca.transform(X_test[:n_images]))),
    (
        "autoencoder, 8 components",
        autoencoder.inverse_transform(autoencoder.transform(X_test[:n_images])),
    ),
]
fig, axes = plt.subplots(len(rows), n_images, figsize=(n_images, 3.4))
for (title, images), axes_row in zip(rows, axes, strict=True):
    for image, ax in zip(images, axes_row, strict=True):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    axes_row[0].set_ylabel(title, rotation=0, ha="right", va="center")
fig.suptitle("Held-out digits and their reconstructions")
fig.tight_layout()

fig_codes, (ax_pca, ax_ae) = plt.subplots(1, 2, figsize=(11, 5))
for ax, model, title in [
    (ax_pca, pca_2d, "PCA, first two components"),
    (ax_ae, autoencoder_2d, "Autoencoder, 2-D code"),
]:
    codes = model.transform(X_test)
    scatter = ax.scatter(
        codes[:, 0], codes[:, 1], c=y_test, cmap="tab10", s=8, alpha=0.8
    )
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
ax_ae.legend(*scatter.legend_elements(), title="digit", loc="best", fontsize=8)
fig_codes.tight_layout()
