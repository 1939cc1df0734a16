"""Convergence, early stopping and divergence, with scikit-learn's rules.

Without early stopping the training loss must fall by more than ``tol`` at least
once every ``n_iter_no_change`` epochs. With early stopping the validation score
must rise by more than ``tol`` as often, and the weights of the best-scoring
epoch are kept aside to be restored at the end. When patience runs out, an
``adaptive`` schedule first divides the learning rate by 5; training stops only
once that rate is below ``1e-6``. A non-finite loss falls back on the best
weights so far, or fails clearly when there are none; with early stopping the
engine records that epoch with a ``nan`` validation score, as scikit-learn does.
"""

import math

from sklearn_deep._training._hooks import Hook
from sklearn_deep._training._schedules import MIN_ADAPTIVE_LEARNING_RATE
from sklearn_deep.utils._warnings import warn_from_caller


def snapshot(module):
    """A detached copy of ``module``'s parameters and buffers."""
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


class Stopping(Hook):
    """Decide after each epoch whether to go on, and keep the best weights."""

    def __init__(self):
        self.best_weights = None

    def on_epoch_trained(self, run):
        if not math.isfinite(run.loss):
            self._diverged(run)
            run.state.interrupted = True
            run.diverged = run.stop = True

    def on_epoch_end(self, run):
        if self._update(run.module, run.config, run.state, run.loss, run.score):
            run.stop = True

    def on_train_end(self, run, error):
        if error is None and run.config.early_stopping:
            self.restore_best(run.module)

    def _update(self, module, config, state, loss, score):
        """Record one epoch's loss and validation score; return True to stop."""
        if config.early_stopping:
            if score < state.best_validation_score + config.tol:
                state.no_improvement_count += 1
            else:
                state.no_improvement_count = 0
            if score > state.best_validation_score:
                state.best_validation_score = score
                state.best_epoch = state.n_iter
                self.best_weights = snapshot(module)
        else:
            if loss > state.best_loss - config.tol:
                state.no_improvement_count += 1
            else:
                state.no_improvement_count = 0
            if loss < state.best_loss:
                state.best_loss = loss
                state.best_epoch = state.n_iter
                # Kept only for a later divergence to fall back on: without
                # early stopping the fit otherwise ends with the last weights.
                self.best_weights = snapshot(module)
        if state.no_improvement_count <= config.n_iter_no_change:
            return False
        if (
            config.learning_rate == "adaptive"
            and state.learning_rate > MIN_ADAPTIVE_LEARNING_RATE
        ):
            state.learning_rate /= 5
            state.no_improvement_count = 0
            return False
        state.converged = True
        return True

    def restore_best(self, module):
        """Load the best epoch's weights back, when early stopping kept any."""
        if self.best_weights is not None:
            module.load_state_dict(self.best_weights)

    def _diverged(self, run):
        """Non-finite loss: fall back on the best weights, or fail clearly."""
        if self.best_weights is None:
            raise ValueError(
                "Training diverged: the loss became NaN or infinite at learning "
                f"rate {run.learning_rate:g}. Lower {run.learning_rate_names}, "
                "scale the input features (e.g. StandardScaler) or check them for "
                "huge values."
            )
        self.restore_best(run.module)
        warn_from_caller(
            "Training diverged (non-finite loss); restored the best weights so "
            f"far. Lower {run.learning_rate_names} to avoid this.",
            UserWarning,
        )
