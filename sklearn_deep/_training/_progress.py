"""What ``verbose`` training shows: a progress bar, or scikit-learn's log lines.

In a terminal, ``verbose=True`` (or 1) draws a tqdm bar over the epochs with the
loss and validation score. Where output is not a terminal (a log file, a
notebook's captured stdout, CI), a bar is noise, so each epoch prints
scikit-learn's line instead, ``Iteration N, loss = X`` (and ``Validation
score: S`` with early stopping), on stdout as scikit-learn prints it;
``verbose=2`` or more prints those lines in a terminal too. ``N`` counts the
epochs of the current call, as scikit-learn's ``n_iter_`` does.
"""

import sys

from tqdm.auto import tqdm

from sklearn_deep._training._hooks import Hook


def prints_lines(verbose, stream=None):
    """Whether ``verbose`` output goes as log lines (else a bar, or nothing)."""
    if not verbose:
        return False
    if verbose >= 2:
        return True
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return not (callable(isatty) and isatty())
    except ValueError:  # a closed stream
        return True


def stopping_line(config):
    """scikit-learn's line when patience runs out and training stops."""
    watched = "Validation score" if config.early_stopping else "Training loss"
    return (
        f"{watched} did not improve more than tol={config.tol:f} for "
        f"{config.n_iter_no_change} consecutive epochs. Stopping."
    )


class Progress(Hook):
    """A tqdm bar, or a log line per epoch, when ``verbose``; silent if off."""

    def __init__(self):
        self.bar = None
        self.lines = False
        self.first_epoch = 0

    def on_train_begin(self, run):
        verbose = run.config.verbose
        self.first_epoch = run.state.n_iter
        self.lines = prints_lines(verbose)
        if verbose and not self.lines:
            self.bar = tqdm(
                total=run.max_epochs, desc=run.description, unit="epoch", leave=True
            )

    def on_epoch_end(self, run):
        if self.lines:
            # scikit-learn's wording and precision, so that log parsers written
            # for sklearn.neural_network read these lines too.
            epoch = run.state.n_iter - self.first_epoch
            print(f"Iteration {epoch}, loss = {run.loss:.8f}", flush=True)
            if run.score is not None:
                print(f"Validation score: {run.score:f}", flush=True)
            if run.stop and run.state.converged:
                print(stopping_line(run.config), flush=True)
            return
        if self.bar is None:
            return
        postfix = {"loss": f"{run.loss:.5g}"}
        if run.score is not None:
            postfix["valid_score"] = f"{run.score:.5g}"
        if run.learning_rate is not None:
            postfix["lr"] = f"{run.learning_rate:.3g}"
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(1)

    def on_train_end(self, run, error):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
