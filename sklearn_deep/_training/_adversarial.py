"""The adversarial step: a discriminator and a generator updated in turn.

Each minibatch of real rows is one update of the discriminator, on those rows
against as many generated ones; after every ``n_critic`` of them comes one
update of the generator (Goodfellow et al., 2014; Arjovsky et al., 2017 for
``n_critic``). The network is a ``GenerativeAdversarialNetwork`` (it packs
``pac`` samples per discriminator input, PacGAN); a batch's rows beyond a
multiple of ``pac`` sit that update out. For a conditional model the batch's
target is the rows' one-hot classes, which the generated rows of the same
update take too, so both networks see the classes in the data's proportions.

Per batch it does what a bare PyTorch loop does: the latent noise (and the
gradient penalty's interpolation weights) of a whole epoch are drawn in one call
from ``run.noise_generator``, the losses stay on the device until the epoch
ends, and the generator's moving average (``run.moving_average``) is updated by
one fused call after each generator update.

The learning rate the engine schedules (``run.learning_rate``) is a factor of
each network's own learning rate: the estimator trains with
``learning_rate_init=1``, so that "linear" decays both rates to
``learning_rate_final`` times their own.
"""

import torch
import torch.nn.functional as F

from sklearn_deep._training._optimizers import _fused_if_possible, fast_step

ADVERSARIAL_LOSSES = ("minimax", "non_saturating", "wasserstein_gp", "hinge")


def discriminator_loss(loss, real, fake):
    """The discriminator's loss from its scores of real and generated packs."""
    if loss == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    if loss == "wasserstein_gp":
        return fake.mean() - real.mean()
    # -log D(x) - log(1 - D(G(z))) with D the sigmoid of the score.
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def generator_loss(loss, fake):
    """The generator's loss from the discriminator's scores of its packs."""
    if loss == "minimax":
        # log(1 - D(G(z))), the original game's, which saturates when the
        # discriminator wins.
        return -F.softplus(fake).mean()
    if loss == "non_saturating":
        # -log D(G(z)): the same fixed point, strong gradients early on.
        return F.softplus(-fake).mean()
    return -fake.mean()


class AdversarialStep:
    """The engine's step for a ``GenerativeAdversarialNetwork``.

    Parameters
    ----------
    module : GenerativeAdversarialNetwork
        The two networks.
    loss : {"minimax", "non_saturating", "wasserstein_gp", "hinge"}
        The game.
    n_critic : int
        Discriminator updates per generator update.
    gradient_penalty : float
        Weight of the gradient penalty of "wasserstein_gp" (Gulrajani et al.,
        2017): ``(||grad D(x_hat)|| - 1) ** 2`` at random points between real
        and generated packs.
    generator_optimizer, discriminator_optimizer : dict
        Each network's Adam settings: ``lr`` and ``betas``.
    """

    def __init__(
        self,
        module,
        *,
        loss,
        n_critic,
        gradient_penalty,
        generator_optimizer,
        discriminator_optimizer,
    ):
        self.module = module
        self.loss = loss
        self.n_critic = n_critic
        self.gradient_penalty = gradient_penalty
        self.settings = {
            "generator": generator_optimizer,
            "discriminator": discriminator_optimizer,
        }
        self.parameters = {
            name: [p for p in getattr(module, name).parameters() if p.requires_grad]
            for name in self.settings
        }
        self.optimizers = None
        self.critic_updates = 0

    def begin(self, run):
        self.optimizers = {
            name: _fused_if_possible(
                torch.optim.Adam, self.parameters[name], **self.settings[name]
            )
            for name in self.settings
        }
        if run.state.optimizer_state is not None:
            for name, optimizer in self.optimizers.items():
                optimizer.load_state_dict(run.state.optimizer_state[name])
        run.learning_rate_names = (
            "generator_learning_rate and discriminator_learning_rate"
        )
        if run.moving_average is not None:
            # Only the generator's weights are averaged: they are what
            # sampling uses; the discriminator goes on from its own.
            run.moving_average.track(self.parameters["generator"])

    def finished(self, run):
        return False

    def state_dict(self):
        return {name: opt.state_dict() for name, opt in self.optimizers.items()}

    def epoch(self, run):
        module, batches = self.module, run.batches
        pac = module.discriminator.pac
        for name, optimizer in self.optimizers.items():
            for group in optimizer.param_groups:
                group["lr"] = self.settings[name]["lr"] * run.learning_rate
        steps = {name: fast_step(opt) for name, opt in self.optimizers.items()}
        module.train()
        sample = batches.target.new_empty(0)
        noise, mixing = self._epoch_draws(run, pac, sample)
        average = run.moving_average
        d_losses, g_losses = [], []
        used = 0
        shards = batches.epoch(run.generator, run.rank, run.world_size)
        for real, condition, _ in shards:
            n = real.shape[0] - real.shape[0] % pac
            if n == 0:
                continue
            real = real[:n]
            condition = condition[:n] if condition.shape[1] else None
            weights = None
            if mixing is not None:
                weights = mixing[used // pac : used // pac + n // pac]
            # The generated rows of a discriminator update are those its
            # generator update (which the discriminator's update leaves the
            # generator's weights for) learns from: one forward pass for both.
            fake = module.generate(noise[used : used + n], condition)
            used += n
            d_losses.append(
                self._discriminator_update(real, fake.detach(), condition, weights)
            )
            steps["discriminator"]()
            self.critic_updates += 1
            if self.critic_updates % self.n_critic == 0:
                g_losses.append(self._generator_update(fake, condition))
                steps["generator"]()
                if average is not None:
                    average.update()
        # One host synchronisation per epoch.
        d_loss = float(torch.stack(d_losses).mean())
        g_loss = float(torch.stack(g_losses).mean()) if g_losses else float("nan")
        run.epoch_metrics = {"discriminator_loss": d_loss, "generator_loss": g_loss}
        norms = [
            float(torch.stack(torch._foreach_norm(grads)).norm()) if grads else 0.0
            for grads in (
                [p.grad for p in self.parameters[name] if p.grad is not None]
                for name in ("discriminator", "generator")
            )
        ]
        return d_loss, norms

    def _epoch_draws(self, run, pac, like):
        """The epoch's latent noise (a row per real row) and the penalty's
        mixing weights (one per pack), each drawn in one call."""
        n_rows = run.batches.n_samples
        generator = run.noise_generator
        dtype = next(self.module.parameters()).dtype
        noise = torch.randn(
            n_rows,
            self.module.latent_dim,
            generator=generator,
            device=like.device,
            dtype=dtype,
        )
        mixing = None
        if self.loss == "wasserstein_gp":
            mixing = torch.rand(
                n_rows // pac + 1,
                1,
                generator=generator,
                device=like.device,
                dtype=dtype,
            )
        return noise, mixing

    def _discriminator_update(self, real, fake, condition, mixing):
        """The discriminator's gradients on real against generated packs."""
        module = self.module
        both = None if condition is None else condition.repeat(2, 1)
        scores = module.critic(torch.cat([real, fake]), both)
        n_packs = real.shape[0] // module.discriminator.pac
        loss = discriminator_loss(self.loss, scores[:n_packs], scores[n_packs:])
        if self.loss == "wasserstein_gp":
            loss = loss + self.gradient_penalty * self._penalty(
                real, fake, condition, mixing
            )
        for parameter in self.parameters["discriminator"]:
            parameter.grad = None
        loss.backward(inputs=self.parameters["discriminator"])
        return loss.detach()

    def _generator_update(self, fake, condition):
        """The generator's gradients against the updated discriminator."""
        loss = generator_loss(self.loss, self.module.critic(fake, condition))
        for parameter in self.parameters["generator"]:
            parameter.grad = None
        # Only the generator's gradients: the discriminator's are not needed.
        loss.backward(inputs=self.parameters["generator"])
        return loss.detach()

    def _penalty(self, real, fake, condition, mixing):
        """Mean of ``(||grad||_2 - 1) ** 2`` over packs between real and fake."""
        pac = self.module.discriminator.pac
        weight = mixing.repeat_interleave(pac, dim=0)
        between = (weight * real + (1 - weight) * fake).requires_grad_(True)
        scores = self.module.critic(between, condition)
        (grad,) = torch.autograd.grad(scores.sum(), between, create_graph=True)
        norms = grad.reshape(grad.shape[0] // pac, -1).norm(dim=1)
        return (norms - 1).square().mean()
