"""The progress bar of ``verbose`` training."""

from tqdm.auto import tqdm


class Progress:
    """A tqdm bar over epochs showing the loss and validation score; silent if off."""

    def __init__(self, verbose, total, description):
        self.bar = (
            tqdm(total=total, desc=description, unit="epoch", leave=True)
            if verbose
            else None
        )

    def update(self, epoch, loss, score=None, learning_rate=None):
        if self.bar is None:
            return
        postfix = {"loss": f"{loss:.5g}"}
        if score is not None:
            postfix["valid_score"] = f"{score:.5g}"
        if learning_rate is not None:
            postfix["lr"] = f"{learning_rate:.3g}"
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(1)

    def close(self):
        if self.bar is not None:
            self.bar.close()
