"""
Mode collapse of a GAN on a ring of Gaussians, and its cure
===========================================================

A generative adversarial network learns to sample from a distribution by a
game: a generator makes rows, a discriminator tells them from real ones. A
known failure is *mode collapse*: the generator finds a few places the
discriminator accepts and puts all its samples there, dropping the rest of
the distribution. A ring of 8 tight Gaussians (PacGAN's and VEEGAN's 2-D ring)
shows it: a collapsing generator drops some of the 8 modes, or, in its milder
form, serves them unevenly, crowding some and starving others.

``sklearn_deep.GAN`` counters it with PacGAN's packing (``pac=2``: the
discriminator judges two samples at once, so a generator whose samples
all look alike is caught) and a moving average of the generator's weights.
Here a plain GAN (``pac=1``, last weights, constant learning rate) and the
defaults train for the same number of updates on the same data, and
:func:`~sklearn_deep.metrics.mode_coverage` counts the modes each captured.
Fewer points and updates than the benchmark (``benchmarks/bench_gan.py``)
keep this example short; on such a short run the difference shows in how
evenly the modes are served (the reverse KL divergence below) rather than in
how many are found. The benchmark's full runs count the modes.
"""

# %%
import matplotlib.pyplot as plt

from sklearn_deep import GAN
from sklearn_deep.datasets import make_gaussian_ring
from sklearn_deep.inspection import SamplesDisplay
from sklearn_deep.metrics import mode_coverage

X, _, centers = make_gaussian_ring(4000, random_state=0, return_centers=True)
EPOCHS = 500  # 8 minibatches each: 4,000 updates of each network
snapshots = [1, EPOCHS // 10, EPOCHS // 2, EPOCHS]

# %%
# A plain GAN: one sample per discriminator input, the generator's last
# weights, a constant learning rate. The panels show its samples (red) over
# the data (grey) after some of its epochs.
plain = GAN(
    pac=1,
    moving_average_decay=None,
    learning_rate="constant",
    max_iter=EPOCHS,
    random_state=0,
    n_threads=1,
)
SamplesDisplay.from_estimator(plain, X, epochs=snapshots)
plt.show()

# %%
# The defaults: packs of 2, the moving average of the generator's weights,
# learning rates decayed to 0.
packed = GAN(max_iter=EPOCHS, random_state=0, n_threads=1)
SamplesDisplay.from_estimator(packed, X, epochs=snapshots)
plt.show()

# %%
# Mode coverage of 2,500 samples of each: modes captured (out of 8), the
# share of samples within 3 standard deviations of a mode, and the reverse KL
# divergence of the modes' histogram from the uniform one (0 when every mode
# gets its share).
for name, gan in [("plain GAN (pac=1)", plain), ("GAN() defaults", packed)]:
    coverage = mode_coverage(gan.sample(2500, random_state=0), centers, std=0.01)
    print(
        f"{name:18s} modes {coverage.n_modes}/8, "
        f"high-quality {100 * coverage.high_quality_fraction:.1f}%, "
        f"reverse KL {coverage.reverse_kl:.3f}"
    )

# %%
# The losses of both networks per epoch are in ``history_``. They do not fall
# to a minimum as a classifier's do: at the game's equilibrium the
# discriminator cannot tell the samples apart and its loss sits near
# ``2 log 2``.
fig, ax = plt.subplots(figsize=(6, 3))
for name, gan in [("plain", plain), ("defaults", packed)]:
    ax.plot(gan.history_[:, "discriminator_loss"], label=f"discriminator, {name}")
    ax.plot(gan.history_[:, "generator_loss"], label=f"generator, {name}")
ax.axhline(2 * 0.6931, color="0.5", linestyle=":", label="2 log 2")
ax.set_xlabel("epoch")
ax.set_ylabel("loss")
ax.legend(fontsize="small")
plt.show()
