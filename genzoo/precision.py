"""Mixed-precision training (train.precision): the forward passes of the models trained by autograd under autocast,
their parameters and optimizer states in float32.

``32`` is plain float32. ``bf16`` runs the matrix products and convolutions of the forward passes in bfloat16 (on CUDA,
and on the CPU, which has bfloat16 kernels); bfloat16 has float32's exponent range, so gradients need no scaling.
``16-mixed`` uses float16, whose narrow range makes small gradients underflow: the loss is multiplied by a scale
before the backward pass and the step skipped where the gradients overflowed (torch.amp.GradScaler, Micikevicius et
al. 2018), which needs CUDA. Likelihood estimates (AIS, IWAE) and the closed-form updates of the Boltzmann machines
and the Helmholtz machine always compute in float32.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch

from genzoo.errors import GenzooError

PRECISIONS = ("32", "bf16", "16-mixed")
AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "16-mixed": torch.float16}


def check_precision(precision: str, device: torch.device) -> None:
    """A one-line error where ``device`` cannot train at ``precision``."""
    if precision == "16-mixed" and device.type != "cuda":
        raise GenzooError(f"train.precision=16-mixed needs CUDA (float16 with a gradient scaler), and this run is on "
                          f"{device.type}: use --precision bf16 there, or --device cuda")
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise GenzooError(f"train.precision=bf16: {torch.cuda.get_device_name(device)} has no bfloat16 arithmetic; "
                          "use --precision 16-mixed")


def autocast(precision: str, device: torch.device) -> AbstractContextManager:
    """The context the forward passes of a training step run in: autocast to the precision's type on the device's
    kind, or nothing for float32."""
    if precision == "32":
        return nullcontext()
    return torch.autocast(device.type, dtype=AUTOCAST_DTYPES[precision])


def outside_autocast(device: torch.device) -> AbstractContextManager:
    """Autocast switched off: the backward pass and the optimizer step run as the forward pass left them, as
    torch's AMP recipe asks (nothing to switch off on a device without autocast)."""
    return torch.autocast(device.type, enabled=False) if torch.amp.is_autocast_available(device.type) else nullcontext()


def gradient_scaler(precision: str, device: torch.device) -> torch.amp.GradScaler | None:
    """A gradient scaler for 16-mixed (on CUDA); None for the precisions that need none."""
    return torch.amp.GradScaler(device.type) if precision == "16-mixed" else None
