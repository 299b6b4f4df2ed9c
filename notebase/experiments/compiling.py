"""`compile = "auto" | true | false`: whether a sweep point's meta-gradient goes through
`torch.compile`, and torch's own compile caches kept between runs.

- **Caches.** Inductor's FX graph cache and AOTAutograd cache (torch's, on by default) are
  pointed at ``<experiments>/.cache/torch`` (`use_compile_cache`), or the user cache dir
  (``$XDG_CACHE_HOME/notebase/torch``) when that folder cannot be written; a
  ``TORCHINDUCTOR_CACHE_DIR`` set by the user wins. A second run, or another sweep point of the
  same shapes, then loads the compiled graph instead of generating and building C++ again:
  measured on MAML, sinusoid, 5 inner steps, one CPU thread: 33.4 s cold, 2.4 s warm (what is
  left is Dynamo tracing the `torch.func` transforms, which torch does not cache). Nothing of
  the generated code is kept by notebase itself; `compile_times.json` beside the cache holds
  only measured seconds per shape key (`CompileLog`).
- **Cache hit or miss** is read from torch's counters (`fxgraph_cache_hit/miss`) around the
  compiling call and recorded in the row (``compile_cache``: ``hit``, ``miss`` or ``mixed``).
- **auto** (`decide`) compiles when the run is long enough to repay it: with ``e`` the
  median of a few eager meta-gradients of the first batch and ``n`` the meta-iterations,
  compile iff ``compile_s + n * e / speedup < n * e``. ``compile_s`` and ``speedup`` are the
  last measured ones for this shape key (`CompileLog`); without a measurement, a cold compile
  is `COLD_COMPILE_S` and a compile after one (a cache hit expected) `WARM_FRACTION` of the
  last cold one; the speedup defaults to `DEFAULT_SPEEDUP`. Shapes whose compile failed before
  (iMAML's forward-over-reverse `jvp` here) stay eager under auto. The decision and its numbers
  are one line in the row (``compile_reason``).

A compiled meta-gradient equals the eager one up to float rounding, so a run that compiles can
differ from one that does not in the last digits; ``compile = false`` gives bit-for-bit
reproducible numbers on the CPU.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

COLD_COMPILE_S = {"cpu": 35.0, "cuda": 60.0}
"""Expected seconds of a first compile with an empty cache (CPU measured 8-45 s per point)."""
WARM_FRACTION = 0.3
"""Expected warm compile / last cold compile of the same key: measured 0.05-0.3 (MAML sinusoid,
1-10 inner steps: 2.4 / 33.4 s at 5 steps, 4.5 / 15.4 s at 10; Dynamo's tracing, which is not
cached, grows with the steps); the high end, so that auto does not compile on a hope."""
DEFAULT_SPEEDUP = 2.0
"""Expected eager / compiled seconds per meta-gradient before one is measured (MAML sinusoid at
5 steps measured 3.0x; kept lower, as other algorithms and sizes gain less)."""
EAGER_PROBES = 3
"""Eager meta-gradients timed to estimate a meta-iteration."""
LOG_NAME = "compile_times.json"

_SET_BY_US: str | None = None


def cache_folder(experiments_dir: Path) -> Path:
    """Where torch's compile caches go: ``<experiments>/.cache/torch`` if it can be written,
    else ``$XDG_CACHE_HOME/notebase/torch`` (``~/.cache`` by default)."""
    preferred = experiments_dir / ".cache" / "torch"
    try:
        preferred.mkdir(parents=True, exist_ok=True)
        if os.access(preferred, os.W_OK | os.X_OK):
            return preferred
    except OSError:
        pass
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "notebase" / "torch"


def _torch_default_cache() -> str | None:
    try:
        from torch._inductor.runtime.cache_dir_utils import default_cache_dir

        return os.path.abspath(default_cache_dir())
    except Exception:  # a torch without it: nothing to tell apart
        return None


def use_compile_cache(experiments_dir: Path) -> Path:
    """Point torch's inductor caches at `cache_folder` (unless the user set
    ``TORCHINDUCTOR_CACHE_DIR``); returns the folder in use."""
    global _SET_BY_US
    current = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
    # torch writes its default into the environment the first time it looks: that is not
    # the user's choice.
    if current is not None and current not in (_SET_BY_US, _torch_default_cache()):
        return Path(current)
    folder = cache_folder(experiments_dir)
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = _SET_BY_US = str(folder.resolve())
    return folder


def shape_key(task: str, algorithm: str, point: dict[str, Any], device, tasks: int) -> str:
    """What decides the compiled graph: task, algorithm, sizes, device and torch version."""
    import torch

    sizes = {k: point.get(k) for k in (
        "inner_steps", "shots", "query", "ways", "hidden", "cg_steps", "first_order", "threads"
    )}
    text = json.dumps([task, algorithm, sizes, tasks, device.type, torch.__version__],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class CompileLog:
    """Measured compile seconds and speedups per shape key, in ``compile_times.json`` of the
    cache folder. Unreadable or unwritable: treated as empty, never an error."""

    def __init__(self, folder: Path):
        self.path = folder / LOG_NAME
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.entries: dict[str, dict[str, Any]] = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            self.entries = {}

    def get(self, key: str) -> dict[str, Any]:
        entry = self.entries.get(key)
        return entry if isinstance(entry, dict) else {}

    def update(self, key: str, **values: Any) -> None:
        self.entries[key] = {**self.get(key), **values}
        try:
            tmp = self.path.with_name(f".{LOG_NAME}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.entries, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass


def expected_compile(entry: dict[str, Any], device_type: str) -> tuple[float, str]:
    """(expected compile seconds, where that number comes from) for a `CompileLog` entry."""
    last = entry.get("compile_seconds")
    if not isinstance(last, int | float):
        return COLD_COMPILE_S.get(device_type, COLD_COMPILE_S["cpu"]), "cold, not measured yet"
    if entry.get("cache") == "hit":
        return float(last), "last warm compile"
    return WARM_FRACTION * float(last), f"{WARM_FRACTION:g} x last cold compile"


def decide(
    setting: Any, iterations: int, eager_seconds: float, compile_seconds: float,
    speedup: float, source: str,
) -> tuple[bool, str]:
    """(compile?, one line saying why) for ``compile = setting``."""
    if setting is True:
        return True, "compile = true"
    if setting is not True and setting != "auto":
        return False, "compile = false"
    eager_total = iterations * eager_seconds
    compiled_total = compile_seconds + eager_total / speedup
    verdict = compiled_total < eager_total
    return verdict, (
        f"auto: {iterations} x {eager_seconds * 1e3:.2f} ms eager = {eager_total:.1f} s "
        f"{'>' if verdict else '<='} {compile_seconds:.1f} s compile ({source}) + "
        f"{compiled_total - compile_seconds:.1f} s at {speedup:.1f}x"
    )


def eager_seconds(meta_gradients: Callable, params, batch, device) -> float:
    """Median seconds of `EAGER_PROBES` eager meta-gradients of `batch` (a pure function)."""
    from notebase.experiments.measure import synchronize

    seen = []
    for _ in range(EAGER_PROBES):
        synchronize(device)
        started = time.perf_counter()
        meta_gradients(params, batch)
        synchronize(device)
        seen.append(time.perf_counter() - started)
    return statistics.median(seen)


def compile_now(algorithm, params, batch, device) -> tuple[Callable, float, str | None]:
    """(compiled meta-gradient, seconds its first call took, ``hit``/``miss``/``mixed``/None
    from torch's FX graph cache counters). On CUDA in ``reduce-overhead`` mode (CUDA graphs:
    the small models are bound by kernel launches there). Raises what `torch.compile`
    raises."""
    import torch
    from torch._dynamo.utils import counters

    from notebase.experiments.algorithms.base import compiled_meta_gradients

    torch._dynamo.reset()  # a fresh graph per sweep point: no recompile limit across points
    hits, misses = counters["inductor"]["fxgraph_cache_hit"], counters["inductor"]["fxgraph_cache_miss"]
    started = time.perf_counter()
    compiled = compiled_meta_gradients(
        algorithm, mode="reduce-overhead" if device.type == "cuda" else None
    )
    compiled(params, batch)
    seconds = time.perf_counter() - started
    hit = counters["inductor"]["fxgraph_cache_hit"] - hits
    miss = counters["inductor"]["fxgraph_cache_miss"] - misses
    cache = None if hit + miss == 0 else "hit" if miss == 0 else "miss" if hit == 0 else "mixed"
    return compiled, seconds, cache


def compile_point(
    task: str, algorithm_name: str, point: dict[str, Any], trainer, first, cache: Path | None,
    *, log: Callable[[str], None],
) -> dict[str, Any]:
    """The meta-gradient function to train with (``function``) and the row's compile fields:
    ``compiled``, ``compile_seconds``, ``compile_cache`` (hit/miss/mixed) and
    ``compile_reason`` (see `notebase.experiments.compiling`). Falls back to eager, with a
    log line, when `torch.compile` fails."""
    setting = point.get("compile", False)
    eager = trainer.meta_gradients  # chunked when the trainer chunks
    fields: dict[str, Any] = {"function": eager, "compiled": False, "compile_seconds": None,
                              "compile_cache": None, "compile_reason": "compile = false"}
    if not setting:
        return fields
    params, device = trainer.params, trainer.device
    record = CompileLog(cache) if cache is not None else None
    key = shape_key(task, algorithm_name, point, device, len(trainer.my_tasks))
    entry = record.get(key) if record is not None else {}
    if setting == "auto" and entry.get("failed"):
        fields["compile_reason"] = f"auto: torch.compile failed before for these shapes ({entry['failed']})"
        return fields
    expected, source = expected_compile(entry, device.type)
    eager_s = eager_seconds(eager, params, first, device)
    speedup = entry.get("speedup")
    speedup = float(speedup) if isinstance(speedup, int | float) and speedup > 0 else (
        DEFAULT_SPEEDUP)
    wanted, fields["compile_reason"] = decide(
        setting, point["meta_iterations"], eager_s, expected, speedup, source
    )
    if not wanted:
        return fields
    try:
        first_chunk = type(first)(*(t[: trainer.chunk] for t in first.tensors()))
        function, seconds, cache_state = compile_now(trainer.algorithm, params, first_chunk, device)
        function = trainer.chunked(function)
        compiled_s = eager_seconds(function, params, first, device)
    except Exception as exc:  # no compiler, unsupported op...: eager still works
        log(f"{algorithm_name}: torch.compile failed, running eagerly ({exc!r:.200})")
        fields["compile_reason"] += "; torch.compile failed, eager"
        if record is not None:
            record.update(key, failed=f"{type(exc).__name__}: {exc}"[:160].replace("\n", " "))
        return fields
    if record is not None:
        record.update(key, compile_seconds=seconds, cache=cache_state, failed=None,
                      speedup=eager_s / compiled_s if compiled_s > 0 else None,
                      eager_ms=eager_s * 1e3, compiled_ms=compiled_s * 1e3)
    fields.update(function=function, compiled=True, compile_seconds=seconds,
                  compile_cache=cache_state)
    return fields
