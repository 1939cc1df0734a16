"""
Data-parallel training with torchrun
====================================

An estimator fitted inside a ``torch.distributed`` process group trains one
model on all the group's processes: each takes its share of every minibatch,
gradients are averaged, and all agree on early stopping. Start it with
``torchrun``, here two CPU processes on this machine (gloo backend)::

    torchrun --nproc-per-node=2 examples/data_parallel_torchrun.py

On GPUs, one process per GPU with the NCCL backend::

    torchrun --nproc-per-node=4 examples/data_parallel_torchrun.py --backend nccl

Run as a plain script it trains in a single process, the same way.
"""

# %%
import argparse
import os
import time

import torch
import torch.distributed as dist
from sklearn.datasets import make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sklearn_deep import MLPClassifier

parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
parser.add_argument("--backend", default="gloo", choices=["gloo", "nccl"])
args = parser.parse_args()

# torchrun sets RANK, WORLD_SIZE and the rendezvous address for each process.
launched_by_torchrun = "RANK" in os.environ
if launched_by_torchrun:
    dist.init_process_group(args.backend)
    if args.backend == "nccl":
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
rank = dist.get_rank() if launched_by_torchrun else 0
world_size = dist.get_world_size() if launched_by_torchrun else 1

# %%
# Every process loads the same data; the engine hands each its shard.
X, y = make_classification(
    n_samples=20000,
    n_features=40,
    n_informative=20,
    n_classes=5,
    random_state=0,
)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
scaler = StandardScaler().fit(X_train)

clf = MLPClassifier(
    hidden_layer_sizes=(128,),
    batch_size=256,
    max_iter=20,
    early_stopping=True,
    random_state=0,
    device="cuda" if args.backend == "nccl" else "cpu",
)
start = time.perf_counter()
clf.fit(scaler.transform(X_train), y_train)
seconds = time.perf_counter() - start

# %%
# All ranks end with the same weights; rank 0 reports.
if rank == 0:
    accuracy = clf.score(scaler.transform(X_test), y_test)
    print(
        f"{world_size} process(es): {clf.n_iter_} epochs in {seconds:.1f} s, "
        f"test accuracy {accuracy:.3f}"
    )
if launched_by_torchrun:
    dist.destroy_process_group()
