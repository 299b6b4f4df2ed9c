"""Run an experiment spec: every (algorithm, sweep point) is meta-trained, timed, measured and
evaluated on held-out tasks; the run record is written to ``runs_dir/<run_id>.json``.

In-process: ``run_experiment(spec, quick=..., device=..., runs_dir=..., on_event=...)``.
As a subprocess (what the CLI and the app use, so training never holds their GIL)::

    python -m notebase.experiments.runner --spec PATH [--quick] [--device auto|cpu|cuda] \
        --runs-dir DIR [--parent-pid PID] [--allow-large]

prints one JSON object per line on stdout: ``start``, ``progress`` (at most ~10 a second),
``log``, ``result`` (one per row) and ``end``; exits 0 (ok), 1 (failed), 130 (interrupted by
SIGINT/SIGTERM, or its parent ended: see `notebase.experiments.stopping`) or 2 (a user error
such as a bad spec, a missing GPU, unwritable run records or a run too large for memory,
reported as an ``error`` event before anything runs). This module imports torch only inside
the run.

Under ``torchrun --nproc_per_node=N -m notebase.experiments.runner ...`` the ranks split every
meta-batch into its fixed groups and add the gathered groups in task order, as one process
does (`notebase.experiments.distributed`; gloo on CPU); rank 0 prints the events and writes
the record with ``world_size = N``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from notebase.errors import UserError
from notebase.experiments import distributed, records, stopping
from notebase.experiments.device import DEVICE_CHOICES
from notebase.experiments.distributed import Ranks, default_groups
from notebase.experiments.launch import ONE, Launch
from notebase.experiments.processes import usable_cpus
from notebase.experiments.spec import Spec, load_spec, spec_hash
from notebase.experiments.sweep import resolved_params, sweep_points, swept_keys

EventSink = Callable[[dict[str, Any]], None]
PROGRESS_INTERVAL_S = 0.1
"""At most one progress event per this many seconds (plus the last of each point)."""


FAULT_ENV = "NOTEBASE_TEST_FAULT"
"""``RANK:ITERATION``: that rank raises at that meta-iteration (the tests' injected fault)."""


class RunInterrupted(Exception):
    """The run was cancelled (cancel event set)."""


def _injected_fault(ranks: Ranks) -> int | None:
    """The meta-iteration at which this rank is told to raise (`FAULT_ENV`), if any."""
    text = os.environ.get(FAULT_ENV, "")
    rank, _, iteration = text.partition(":")
    if rank.strip().isdigit() and int(rank) == ranks.rank and iteration.strip().isdigit():
        return int(iteration)
    return None


def _load_average() -> float | None:
    """The machine's 1-minute load average (None where there is none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return None


def fix_groups(points: list[dict[str, Any]], world_size: int) -> list[dict[str, Any]]:
    """The points with ``reduce_groups = 0`` (the default) given their groups: the meta-batch's
    `distributed.default_groups`, or the run's process count when that is more. Fixed for the
    whole run, so a sweep over ``processes`` compares like with like; the record says what
    was used."""
    return [
        point if point.get("reduce_groups")
        else {**point, "reduce_groups": max(default_groups(point["meta_batch"]), world_size)}
        for point in points
    ]


def groups_notice(points: list[dict[str, Any]], world_size: int) -> str | None:
    """One line when `fix_groups` gives some default-grouped point more groups than its
    meta-batch's own (one per process): that point trains like one process with that many
    groups, not like one process left at the default."""
    small = sorted({p["meta_batch"] for p in points if not p.get("reduce_groups")
                    and default_groups(p["meta_batch"]) < world_size})
    if not small:
        return None
    defaults = ", ".join(f"{b} has {default_groups(b)}" for b in small)
    return (f"{world_size} processes need {world_size} reduction groups, more than the "
            f"default (meta_batch {defaults}); results equal one process with "
            f"reduce_groups = {world_size} (pin reduce_groups in the spec to compare runs)")


def check_world_size(spec: Spec, points: list[dict[str, Any]], world_size: int) -> None:
    """`UserError` (one line naming the fix) when a sweep point asks for more processes
    than the run has, or its meta-batch has fewer fixed groups than processes to share it."""
    from notebase.experiments.training import reduction_unit

    for point in points:
        size = point.get("processes") or world_size
        if size > world_size:
            raise UserError(
                f"{spec.path}: params.processes = {size} needs at least {size} processes; "
                f"run with --nproc {size}"
            )
        if size == 1:
            continue
        for algorithm in spec.algorithms:
            unit = reduction_unit(spec.task, algorithm, point)
            groups = math.ceil(point["meta_batch"] / unit)
            if groups < size:
                raise UserError(
                    f"{spec.path}: params.reduce_groups: meta_batch {point['meta_batch']} is "
                    f"cut into {groups} fixed group(s), too few for {size} processes; set "
                    f"reduce_groups (and meta_batch) to at least {size}, or use --nproc {groups}"
                )


def _project_dir() -> Path:
    return Path(__file__).resolve().parents[2]


def train_point(
    spec: Spec,
    algorithm_name: str,
    point: dict[str, Any],
    device,
    *,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
    swept: tuple[str, ...] = (),
    ranks: Ranks | None = None,
    log: Callable[[str], None] | None = None,
    compile_cache: Path | None = None,
) -> dict[str, Any]:
    """Meta-train one algorithm at one sweep point; return its result row.

    ``compile`` (true, false or "auto") is decided by `notebase.experiments.compiling`, with
    the measured compile times kept in `compile_cache` (the folder of torch's caches).

    The row holds the algorithm, ``inner_steps`` and every `swept` parameter, then the
    measurements (see `notebase.experiments.measure`) and the held-out scores. With `ranks`
    of several processes, this rank trains on its share of every meta-batch (timing and
    memory are this rank's).
    """
    from notebase.experiments.compiling import compile_point
    from notebase.experiments.measure import IterationTimer, peak_memory
    from notebase.experiments.training import MetaTrainer

    load = _load_average()  # what else the machine was doing when this point started
    trainer = MetaTrainer(spec.task, algorithm_name, point, device, ranks)
    params, iterations = trainer.params, point["meta_iterations"]
    meta_batch = trainer.meta_batch

    # Memory: one untimed warm-up call (it compiles, when asked), then one measured call, on
    # the first batch. Pure functions of (params, batch), so training is unaffected.
    first = trainer.batch(0)
    meta_gradients = trainer.meta_gradients
    meta_gradients(params, first)
    compiled = compile_point(
        spec.task, algorithm_name, point, trainer, first, compile_cache,
        log=log or (lambda message: None),
    )
    meta_gradients = compiled.pop("function")
    _, peak_bytes, memory_kind = peak_memory(lambda: meta_gradients(params, first), device)
    trainer.meta_gradients = meta_gradients

    timer = IterationTimer(device, warmup=point["warmup"])
    ranks = trainer.ranks
    ranks.collective_seconds.clear()
    fault = _injected_fault(ranks)
    train_losses: list[float] = []
    for iteration in range(iterations):
        if cancel is not None and cancel.is_set():
            raise RunInterrupted()
        if fault is not None and iteration == fault:
            raise RuntimeError(f"injected fault at iteration {iteration} ({FAULT_ENV})")
        timer.start()
        query_loss = trainer.step(iteration)
        timer.stop()
        train_losses.append(query_loss.item())
        if not math.isfinite(train_losses[-1]):
            raise FloatingPointError(
                f"{algorithm_name}: meta-training loss is {train_losses[-1]} at iteration "
                f"{iteration}; lower inner_lr or meta_lr"
            )
        if progress is not None:
            progress(iteration + 1, iterations)

    scores = trainer.evaluate()
    if algorithm_name == "imaml":  # how well its conjugate gradient did (findings flag it)
        from notebase.experiments.cg_check import cg_diagnostics

        scores.update(cg_diagnostics(trainer.algorithm, params, trainer.batch(iterations)))
    seconds = timer.median()
    communication = (statistics.median(ranks.collective_seconds[point["warmup"]:]
                                       or ranks.collective_seconds)
                     if ranks.collective_seconds else 0.0)
    # Across ranks: the slowest rank sets the pace, memory is the largest rank's.
    every = ranks.gather_numbers([seconds, float(peak_bytes), communication, sum(timer.seconds)])
    seconds = max(row[0] for row in every)
    peak_bytes = int(max(row[1] for row in every))
    communication = max(row[2] for row in every)
    tail = train_losses[-max(1, len(train_losses) // 10) :]
    row: dict[str, Any] = {"algorithm": algorithm_name, "inner_steps": point["inner_steps"]}
    row.update({key: point[key] for key in swept})
    row.update(
        {
            "meta_iterations": iterations,
            "meta_batch": meta_batch,
            "task_chunk": trainer.chunk,
            "seconds_per_iteration": seconds,
            "tasks_per_second": meta_batch / seconds if seconds > 0 else None,
            "peak_memory_bytes": peak_bytes,
            "memory_kind": memory_kind,
            "world_size": ranks.world_size,
            "communication_seconds_per_iteration": communication,
            "communication_share": communication / seconds if seconds > 0 else None,
            "rank_seconds_per_iteration": [row[0] for row in every],
            "load_average": load,
            "cpus": usable_cpus(),
            "meta_train_loss": sum(tail) / len(tail),
            "train_seconds": max(row[3] for row in every),
            **compiled,
            **scores,
            "eval_tasks": point["eval_tasks"],
            "eval_steps": point["eval_steps"],
            "params": point,
        }
    )
    return row


def run_experiment(
    spec: Spec,
    *,
    quick: bool = False,
    device: str = "auto",
    runs_dir: Path,
    on_event: EventSink | None = None,
    cancel: threading.Event | None = None,
    ranks: Ranks | None = None,
    allow_large: bool = False,
) -> dict[str, Any]:
    """Run every (algorithm, sweep point) of `spec`; returns the run record (also on disk).

    With `ranks` from ``torchrun`` every rank calls this; the meta-batch is split between
    them, and only rank 0 emits events and writes the record (``world_size`` says how many).

    A `UserError` is raised before any record is written: CUDA asked for but absent, run
    records that cannot be written in `runs_dir`, or a run whose estimated memory does not
    fit (`measure.check_memory`; `allow_large` or the spec's ``allow_large`` skips that).
    Other failures end the run with status ``failed``; a set `cancel` event ends it with
    ``interrupted``; KeyboardInterrupt is recorded as ``interrupted`` and re-raised. From the
    first write of the record on, every ending rewrites it: no signal leaves it ``running``.
    """
    import torch

    from notebase.experiments.device import device_name, resolve_device
    from notebase.experiments.measure import check_memory

    ranks = ranks or Ranks()
    emit = (on_event if ranks.is_main else None) or (lambda event: None)
    torch_device = resolve_device(device)
    asked = sweep_points(spec, quick)
    points = fix_groups(asked, ranks.world_size)
    check_world_size(spec, points, ranks.world_size)
    if not (allow_large or spec.allow_large):
        check_memory(spec, spec.algorithms, points, torch_device, ranks.world_size)
    if ranks.is_main:
        records.check_runs_dir(runs_dir)
    if any(p.get("threads") for p in points):
        torch.set_num_threads(points[0]["threads"] or torch.get_num_threads())
    compile_cache = None
    if any(p.get("compile") for p in points):
        from notebase.experiments.compiling import use_compile_cache

        compile_cache = use_compile_cache(runs_dir.parent)
    commit, dirty = records.git_state(_project_dir())
    spec_as_run = spec.to_dict()
    spec_as_run["params"] = resolved_params(spec, quick)
    record = records.new_record(
        experiment=spec.name,
        title=spec.title,
        spec=spec_as_run,
        spec_hash=spec_hash(spec),
        quick=quick,
        device=torch_device.type,
        device_name=device_name(torch_device),
        torch_version=torch.__version__,
        git_commit=commit,
        git_dirty=dirty,
        seed=min(p["seed"] for p in points) if points else None,
        world_size=ranks.world_size,
    )
    keeper = records.RecordKeeper(runs_dir, record, enabled=ranks.is_main)
    jobs = [(algorithm, point) for point in points for algorithm in spec.algorithms]
    sizes = {point.get("processes") or ranks.world_size for point in points}
    groups = distributed.make_groups(sizes, ranks.world_size)

    def finish(status: str, error: str | None) -> None:
        with stopping.signals_held():  # the final record is written whole, whatever arrives
            keeper.finish(status, error)
        emit({"event": "end", "status": status, "run_id": record["run_id"],
              "record": str(keeper.path), "error": record["error"]})

    swept = tuple(swept_keys(spec, quick))
    # Everything from the first write of the record on is inside the try: a signal at any
    # point after it still ends in a finished record.
    try:
        keeper.save()
        emit({"event": "start", "run_id": record["run_id"], "experiment": spec.name,
              "device": torch_device.type, "device_name": record["device_name"],
              "points": len(jobs), "record": str(keeper.path)})
        if notice := groups_notice(asked, ranks.world_size):
            emit({"event": "log", "message": notice, "notice": True})
        for index, (algorithm, point) in enumerate(jobs):
            last_sent = 0.0

            def progress(done: int, total: int, algorithm=algorithm, index=index) -> None:
                nonlocal last_sent
                now = time.monotonic()
                if done < total and now - last_sent < PROGRESS_INTERVAL_S:
                    return
                last_sent = now
                emit({"event": "progress", "algorithm": algorithm, "point": index,
                      "points": len(jobs), "iteration": done, "iterations": total,
                      "fraction": (index + done / total) / len(jobs)})

            label = " ".join(f"{k}={point[k]}" for k in swept)
            emit({"event": "log", "message": f"{algorithm} {label}".strip()})
            mine = ranks.subset(point.get("processes") or ranks.world_size, groups)
            if mine is None:  # this rank sits this point out
                distributed.wait_for_point(index)
                continue
            row = train_point(
                spec, algorithm, point, torch_device,
                progress=progress, cancel=cancel, swept=swept, ranks=mine,
                log=lambda message: emit({"event": "log", "message": message}),
                compile_cache=compile_cache,
            )
            if mine.world_size < ranks.world_size:
                distributed.point_done(ranks, index)
            record["results"].append(row)
            keeper.save()
            emit({"event": "result", "row": row})
    except RunInterrupted:
        finish("interrupted", "cancelled")
    except KeyboardInterrupt:
        stopping.ignore_further_signals()
        # torchrun stops the other ranks with SIGTERM when one fails: that one is the cause.
        peer = None if stopping.PARENT_GONE.is_set() else distributed.peer_state(ranks)
        if peer and peer[0] == "failed":
            finish("failed", peer[1])
        else:
            distributed.report_stopped(ranks)
            finish("interrupted", stopping.stop_reason())
        raise
    except Exception as exc:  # any failure of the run itself ends up in the record
        with stopping.signals_held():  # torchrun's SIGTERM must not cut this short
            lost = distributed.lost_peer(exc)
            if not lost:  # this rank's own error: rank 0 names it in the record
                distributed.report_failure(ranks, exc)
            peer = distributed.peer_state(ranks, distributed.PEER_WAIT_S if lost else 0.0)
            stopped = stopping.STOPPED_BY_SIGNAL.is_set() or stopping.parent_gone()
            if peer and peer[0] == "failed" and (lost or stopped):
                finish("failed", peer[1])  # the rank that failed first, and its error
                if stopped:
                    raise KeyboardInterrupt from exc
            elif stopped or (lost and peer):
                stopping.ignore_further_signals()
                distributed.report_stopped(ranks)
                finish("interrupted", stopping.stop_reason() if stopped else peer[1])
                raise KeyboardInterrupt from exc
            else:
                emit({"event": "log", "message": traceback.format_exc()})
                finish("failed", ranks.describe_failure(exc))
    else:
        finish("ok", None)
    return record


# -- subprocess entry ----------------------------------------------------------------------


def start_run_process(
    spec_path: Path,
    *,
    quick: bool = False,
    device: str = "auto",
    runs_dir: Path,
    allow_large: bool = False,
    launch: Launch = ONE,
    **popen_kwargs: Any,
) -> subprocess.Popen:
    """Start ``python -m notebase.experiments.runner`` for this spec; read it with `iter_events`.

    Checks first that run records can be written in `runs_dir` (`UserError`, one line, when
    not: nothing starts). The runner is told this process's pid: it stops, recording
    ``interrupted``, when this process ends. `allow_large` skips the memory check (as does
    ``NOTEBASE_ALLOW_LARGE=1`` in the environment, which the runner inherits). `launch` with
    several processes starts torch's launcher instead, one runner per rank (`launch`).
    """
    records.check_runs_dir(runs_dir)
    command = [
        *launch.command(), "--spec", str(spec_path),
        "--device", device, "--runs-dir", str(runs_dir),
    ]
    # Under torchrun a rank's parent is torchrun's agent: the ranks watch this pid itself.
    command += ["--parent-pid", str(os.getpid())]
    if quick:
        command.append("--quick")
    if allow_large:
        command.append("--allow-large")
    popen_kwargs.setdefault("stdout", subprocess.PIPE)
    popen_kwargs.setdefault("text", True)
    popen_kwargs.setdefault("encoding", "utf-8")
    popen_kwargs.setdefault("errors", "replace")  # a stray byte must not end the reading
    popen_kwargs.setdefault("bufsize", 1)
    return subprocess.Popen(command, **popen_kwargs)


def iter_events(proc: subprocess.Popen) -> Iterator[dict[str, Any]]:
    """The JSON events a runner process prints, until its stdout closes; stray text -> log."""
    assert proc.stdout is not None
    for line in proc.stdout:
        line = line.strip()
        if not line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            event = {"event": "log", "message": line}
        if not isinstance(event, dict):
            event = {"event": "log", "message": line}
        yield event


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m notebase.experiments.runner",
        description="Run one experiment spec, printing JSON-lines events on stdout.",
    )
    parser.add_argument("--spec", type=Path, required=True, help="the spec file (.toml)")
    parser.add_argument("--quick", action="store_true", help="apply the spec's [quick] overrides")
    parser.add_argument("--device", default="auto", choices=DEVICE_CHOICES)
    parser.add_argument("--runs-dir", type=Path, required=True, help="where run records go")
    parser.add_argument(
        "--parent-pid", type=int, default=None,
        help="stop (recording 'interrupted') when this process ends",
    )
    parser.add_argument(
        "--allow-large", action="store_true",
        help="run even when the memory estimate says it does not fit (also NOTEBASE_ALLOW_LARGE=1)",
    )
    args = parser.parse_args(argv)

    # Events own the real stdout; anything else printed (by C++ libraries too) goes to stderr.
    emit = stopping.EventWriter(os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1))
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    stopping.install_signal_handlers()
    ranks = Ranks()
    try:
        stopping.watch_parent(args.parent_pid)
        spec = load_spec(args.spec)
        from notebase.experiments.device import resolve_device

        ranks = distributed.init_from_environment(resolve_device(args.device).type)
        distributed.announce(ranks)
        record = run_experiment(
            spec,
            quick=args.quick,
            device=args.device,
            runs_dir=args.runs_dir,
            on_event=emit if ranks.is_main else None,
            ranks=ranks,
            allow_large=args.allow_large or os.environ.get("NOTEBASE_ALLOW_LARGE") == "1",
        )
    except UserError as exc:
        if ranks.is_main:
            emit({"event": "error", "message": str(exc)})
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        distributed.shutdown()
        emit.close()
    return {"ok": 0, "failed": 1}.get(record["status"], 130)


if __name__ == "__main__":
    sys.exit(main())
