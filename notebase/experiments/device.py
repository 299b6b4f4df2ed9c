"""Choosing the torch device for a run: ``auto`` (CUDA when available), ``cpu`` or ``cuda``."""

from __future__ import annotations

from notebase.errors import UserError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def resolve_device(name: str):
    """The `torch.device` for `name`; `UserError` when CUDA is asked for but absent."""
    import torch  # heavy; only runs need it

    if name not in DEVICE_CHOICES:
        raise UserError(f"unknown device {name!r} (allowed: {', '.join(DEVICE_CHOICES)})")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise UserError(
            "CUDA requested but no GPU is available (torch.cuda.is_available() is False); "
            "use --device cpu or --device auto"
        )
    return torch.device(name)


def device_name(device) -> str:
    """A human name for the device: the GPU model, or the CPU model and torch thread count."""
    import platform

    import torch

    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    model = model or platform.processor() or platform.machine()
    return f"cpu: {model} ({torch.get_num_threads()} threads)"
