"""Fit an MLPClassifier as one rank of a process group, or alone; save the result.

``test_distributed.py`` launches it with ``torch.distributed.run`` (two CPU
processes, gloo over the loopback interface) and as a plain single process, then
compares what each run saved in the folder given as the first argument.
"""

import os
import sys
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split

from sklearn_deep import MLPClassifier


def fit_and_save(out, name, random_state, early_stopping):
    X, y = make_classification(
        n_samples=1200,
        n_features=20,
        n_informative=10,
        n_classes=3,
        random_state=0,
    )
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    clf = MLPClassifier(
        hidden_layer_sizes=(32,),
        batch_size=64,
        max_iter=40,
        learning_rate_init=0.01,
        early_stopping=early_stopping,
        n_iter_no_change=5,
        random_state=random_state,
        device="cpu",
    ).fit(X_train, y_train)
    np.savez(
        out / f"{name}.npz",
        *clf.coefs_,
        *clf.intercepts_,
        n_iter=clf.n_iter_,
        accuracy=clf.score(X_test, y_test),
    )


def main(out):
    out = Path(out)
    torch.set_num_threads(1)
    if "RANK" in os.environ:
        dist.init_process_group("gloo")
        prefix = f"rank{dist.get_rank()}"
    else:
        prefix = "single"
    try:
        fit_and_save(out, f"{prefix}-seeded", random_state=0, early_stopping=True)
        fit_and_save(out, f"{prefix}-unseeded", random_state=None, early_stopping=False)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
