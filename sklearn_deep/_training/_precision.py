"""Mixed precision for the minibatch steps: an autocast region and loss scaling.

``precision="bf16"`` or ``"fp16"`` runs the network's forward pass under
``torch.autocast``: matrix products and convolutions in 16-bit floats, which
tensor cores run several times as fast as float32, while the weights, their
gradients, the optimiser's state and the loss stay float32 (the outputs are
cast back before the loss, so a CRF's forward algorithm or a softmax never
runs in 16 bits). float16 has a narrow exponent: small gradients underflow to
zero unless the loss is scaled up before the backward pass and the gradients
down after it (``torch.amp.GradScaler``, which also skips the steps whose
gradients overflowed). bfloat16 has float32's exponent and needs no scaling.

Where the device cannot run the precision asked for (float16 anywhere but
CUDA, bfloat16 on a GPU older than Ampere), training warns and runs in
float32, so that a grid written for a GPU still runs on a laptop.
"""

import contextlib
import warnings

import torch

PRECISIONS = ("fp32", "bf16", "fp16")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def precision_supported(precision, device):
    """Whether ``device`` (a ``torch.device``) trains in ``precision``."""
    if precision == "fp32":
        return True
    if device.type == "cuda":
        return precision == "fp16" or torch.cuda.is_bf16_supported()
    # torch's CPU autocast runs bfloat16 (fast only on CPUs with bfloat16
    # instructions); float16 on the CPU is slower than float32 and gains
    # nothing, so it is not offered there.
    return device.type == "cpu" and precision == "bf16"


def effective_precision(precision, device):
    """``precision``, or "fp32" with a warning where ``device`` lacks it."""
    if precision_supported(precision, device):
        return precision
    warnings.warn(
        f"precision={precision!r} is not supported on device {str(device)!r}; "
        "training in float32 instead.",
        UserWarning,
        stacklevel=2,
    )
    return "fp32"


class MixedPrecision:
    """The autocast region and, for float16, the loss scaler of one fit.

    Parameters
    ----------
    precision : {"fp32", "bf16", "fp16"}
        What the device runs (see ``effective_precision``).
    device : torch.device
        The training device.
    """

    def __init__(self, precision, device):
        self.precision = precision
        self.device = device
        self.scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None

    @property
    def enabled(self):
        return self.precision != "fp32"

    def autocast(self):
        """The context of a forward pass: autocast, or nothing for fp32."""
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=_DTYPES[self.precision])

    def scale(self, loss):
        """The loss to call ``backward`` on."""
        return loss if self.scaler is None else self.scaler.scale(loss)

    def unscale(self, optimizer):
        """Bring the gradients back to their true size before they are read."""
        if self.scaler is not None:
            self.scaler.unscale_(optimizer)

    def step(self, step, optimizer):
        """Run ``step()``, or let the scaler skip it on overflowed gradients."""
        if self.scaler is None:
            step()
        else:
            self.scaler.step(optimizer)
            self.scaler.update()


def to_full_precision(output):
    """``output`` (a tensor or a tuple/list of them) with 16-bit floats as float32."""
    if isinstance(output, torch.Tensor):
        if output.dtype in (torch.float16, torch.bfloat16):
            return output.float()
        return output
    if isinstance(output, (tuple, list)):
        return type(output)(to_full_precision(item) for item in output)
    return output
