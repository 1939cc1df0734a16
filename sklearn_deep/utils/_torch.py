"""Small torch helpers: device resolution, seeding, tensor conversion.

Nothing here knows about scikit-learn estimators; it only turns the plain values
an estimator stores (``device="auto"``, ``random_state=0``) into torch objects.
"""

import warnings

import numpy as np
import torch
from sklearn.utils import check_random_state

TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_device(device):
    """Turn ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` into a ``torch.device``.

    ``"auto"`` picks the first CUDA device when one is available, else the CPU.
    Asking for CUDA on a machine without it raises a ``ValueError`` rather than
    failing later inside torch.
    """
    if isinstance(device, torch.device):
        device = str(device)
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid device; use 'auto', 'cpu', "
            "'cuda' or 'cuda:N'."
        ) from exc
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available on "
                "this machine; use device='auto' or device='cpu'."
            )
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} does not exist: this machine has "
                f"{torch.cuda.device_count()} CUDA device(s)."
            )
    elif resolved.type != "cpu":
        raise ValueError(
            f"device={device!r} is not supported; use 'auto', 'cpu', 'cuda' or "
            "'cuda:N'."
        )
    return resolved


def seed_from_random_state(random_state):
    """Draw one integer seed from a ``random_state`` (None, int or RandomState).

    An int gives the same seed every time; ``None`` draws from numpy's global
    generator, so successive fits differ, as in scikit-learn. Inside a
    ``torch.distributed`` process group every rank gets rank 0's seed.
    """
    seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    if in_process_group():
        # In data-parallel training every rank must draw the same initial
        # weights, validation split and batch order: all take rank 0's seed.
        tensor = torch.tensor([seed], dtype=torch.int64).to(process_group_device())
        torch.distributed.broadcast(tensor, src=0)
        seed = int(tensor)
    return seed


def in_process_group():
    """Whether this process is one of several ranks of a ``torch.distributed`` group."""
    distributed = torch.distributed
    return (
        distributed.is_available()
        and distributed.is_initialized()
        and distributed.get_world_size() > 1
    )


def process_group_device():
    """Where the process group's collectives take tensors: NCCL needs CUDA ones."""
    if torch.distributed.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def make_generator(seed, device="cpu"):
    """A ``torch.Generator`` on ``device`` seeded with ``seed``.

    Estimators use local generators so that they never reseed torch's global
    random state, which belongs to the user.
    """
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    return generator


def to_tensor(array, dtype, device):
    """Convert a numpy array to a tensor on ``device`` without an extra copy.

    ``torch.as_tensor`` shares memory with a numpy array of the right dtype on the
    CPU, so the caller must never write into the returned tensor in place. For
    the same reason a read-only array (e.g. a memory map) needs no copy: torch's
    warning that it is not writable is silenced.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not")
        return torch.as_tensor(np.ascontiguousarray(array), dtype=dtype, device=device)


def to_numpy(tensor):
    """Detach a tensor and return it as a numpy array on the host."""
    return tensor.detach().cpu().numpy()


# Rows of every forward pass at prediction time on the CPU. Small enough that
# predicting a single row stays cheap (about 0.2 ms for a 100-256-10 MLP on one
# core), large enough that the per-block overhead on big inputs stays near 10%.
PREDICT_BLOCK_ROWS = 256
# The same on a CUDA device, where a block's cost is mostly its launches and
# copies, whatever its rows: larger blocks make fewer of them.
PREDICT_BLOCK_ROWS_CUDA = 8192


@torch.inference_mode()
def predict_in_blocks(forward, X, *, dtype, device, block_rows=PREDICT_BLOCK_ROWS):
    """Apply ``forward`` to the rows of ``X`` in blocks of exactly ``block_rows``.

    Matrix-multiply kernels pick their blocking (and so their rounding) by the
    shape of the operands: in float32 a row's output differed by up to 1e-6
    between a one-row call and a many-row call. Padding the last block with zero
    rows makes every call the same shape, so a row's prediction never depends on
    which other rows were predicted with it. Working block by block also bounds
    device memory for inputs of any size.

    Parameters
    ----------
    forward : callable
        Maps a ``(block_rows, n_features)`` tensor to a tensor with one row of
        output per input row.
    X : ndarray or scipy sparse matrix of shape (n_samples, n_features)
        The rows to predict; sparse rows are made dense one block at a time.
    dtype, device : torch dtype and device
        Where ``forward`` computes.
    block_rows : int, default=PREDICT_BLOCK_ROWS
        Rows per call of ``forward``.

    Returns
    -------
    output : ndarray of shape (n_samples, ...)
        The concatenated outputs, or ``None`` when ``X`` has no rows.
    """
    device = torch.device(device)
    outputs = []
    for start in range(0, X.shape[0], block_rows):
        rows = X[start : start + block_rows]
        rows = rows.toarray() if hasattr(rows, "toarray") else rows
        n_rows = rows.shape[0]
        outputs.append(forward(padded_block(rows, block_rows, dtype, device))[:n_rows])
    # The outputs stay on the device until the end: one copy back, and on a
    # GPU the next block's copy and forward pass are queued without waiting
    # for this one's result.
    return to_numpy(torch.cat(outputs)) if outputs else None


def padded_block(rows, block_rows, dtype, device):
    """``rows`` (a numpy array) padded with zero rows to ``block_rows``, on ``device``.

    For a CUDA device the block is assembled in page-locked host memory and
    copied without blocking the host (torch's caching host allocator keeps
    the buffer until its copy is done), so that preparing the next block
    overlaps with the device's work on this one.
    """
    n_rows = rows.shape[0]
    device = torch.device(device)
    if device.type != "cuda":
        block = torch.zeros((block_rows, *rows.shape[1:]), dtype=dtype, device=device)
        block[:n_rows] = to_tensor(rows, dtype, device)
        return block
    host = torch.zeros((block_rows, *rows.shape[1:]), dtype=dtype)
    host[:n_rows] = to_tensor(rows, dtype, "cpu")
    return host.pin_memory().to(device, non_blocking=True)
