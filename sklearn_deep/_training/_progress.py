"""The progress bar of ``verbose`` training."""

from tqdm.auto import tqdm

from sklearn_deep._training._hooks import Hook


class Progress(Hook):
    """A tqdm bar over epochs showing the loss and validation score; silent if off."""

    def __init__(self):
        self.bar = None

    def on_train_begin(self, run):
        if run.config.verbose:
            self.bar = tqdm(
                total=run.max_epochs, desc=run.description, unit="epoch", leave=True
            )

    def on_epoch_end(self, run):
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
