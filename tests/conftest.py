"""Shared fixtures: the shared material beside the checkout is optional."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from notebase.core import helper_process

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """`../shared` (seeds, corpora, bench material); skips the test when absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture
def helper_fails(monkeypatch):
    """``helper_fails(failure)``: every helper process (``core/helper_process.py``) started
    from then on fails: "cannot start" (OSError), "crash" (exit 3) or "garbage" (an answer
    that is no pickle)."""

    def fail(failure: str) -> None:
        real_popen = subprocess.Popen

        def broken(argv, **kwargs):
            if failure == "cannot start":
                raise OSError(11, "Resource temporarily unavailable")
            code = "import sys; sys.exit(3)" if failure == "crash" else "print('not a pickle')"
            return real_popen([argv[0], "-c", code], **kwargs)

        monkeypatch.setattr(helper_process.subprocess, "Popen", broken)

    return fail


TINY_SPEC = """name = "{name}"
title = "Tiny sweep {name}"
task = "sinusoid"
algorithms = ["maml", "fomaml"]

[params]
inner_steps = [1, 2]
meta_batch = 2
meta_iterations = {iterations}
eval_tasks = 2
eval_steps = 1
hidden = 8
warmup = 0
shots = 2
query = 2
threads = 1

[quick]
meta_iterations = 2
"""


@pytest.fixture
def write_tiny_spec():
    """``write_tiny_spec(folder, name, iterations=3)`` writes ``folder/NAME.toml``: a sinusoid
    sweep of 2 algorithms x 2 inner-step counts that runs in seconds on a CPU (``--quick``:
    2 meta-iterations). Returns the spec's path."""

    def write(folder: Path, name: str, iterations: int = 3) -> Path:
        path = folder / f"{name}.toml"
        path.write_text(TINY_SPEC.format(name=name, iterations=iterations), encoding="utf-8")
        return path

    return write
