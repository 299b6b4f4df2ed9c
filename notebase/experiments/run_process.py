"""The runner subprocess seen from the process that starts it: start one spec's run, read its
JSON-lines events, pass a cancel on as one SIGINT, copy its stderr (keeping the last line,
which explains a crash), and say how it ended (`RunEnd`).

`run_spec` is used by ``notebase run --experiment`` and, through
`notebase.experiments.note_runs.run_note_experiment`, by ``notebase run NOTE`` and the app.
The runner gets its own session, so a Ctrl-C in the terminal reaches only this process,
which decides what the runner gets. torch is never imported here: the runner module is
loaded inside `run_spec`.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from notebase.errors import UserError
from notebase.experiments.launch import ONE, Launch
from notebase.experiments.records import try_load_record

EventHandler = Callable[[dict], None]
Cancel = threading.Event | Callable[[], bool] | None

INTERRUPT_GRACE_S = 15.0
"""How long a cancelled run may take to write its ``interrupted`` record after SIGINT."""


def is_cancelled(cancel: Cancel) -> bool:
    """Whether ``cancel`` (an Event, a callable, or None) says stop."""
    if cancel is None:
        return False
    if isinstance(cancel, threading.Event):
        return cancel.is_set()
    return bool(cancel())


def stop_process(proc: subprocess.Popen, grace_s: float = INTERRUPT_GRACE_S) -> None:
    """SIGINT (the runner records ``interrupted`` and exits), then wait; SIGTERM, then SIGKILL
    only if it does not stop in time."""
    for action in (lambda: proc.send_signal(signal.SIGINT), proc.terminate, proc.kill):
        if proc.poll() is not None:
            return
        try:
            action()
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            grace_s = 5.0


def _watch_cancel(proc: subprocess.Popen, cancel: Cancel) -> threading.Thread | None:
    """A daemon thread that stops ``proc`` once ``cancel`` says so."""
    if cancel is None:
        return None

    def watch() -> None:
        while proc.poll() is None:
            if is_cancelled(cancel):
                stop_process(proc)
                return
            time.sleep(0.1)

    thread = threading.Thread(target=watch, name="notebase-run-cancel", daemon=True)
    thread.start()
    return thread


def event_kind(event: dict) -> str:
    """A runner event's type (``start``, ``progress``, ``result``, ``log``, ``end``,
    ``error``); ``""`` when it has none."""
    return str(event.get("event") or event.get("type") or "")


@dataclass(slots=True)
class RunEnd:
    """How one runner subprocess ended."""

    status: str
    """``ok``, ``failed`` or ``interrupted``."""
    error: str | None
    run_id: str | None
    record_path: Path | None
    record: dict | None
    """The run record as the runner left it; None when it cannot be read."""
    ended: bool
    """The runner reported its own end (else it died or was killed mid-run)."""


PROCESS_STDERR: Any = object()
"""`run_spec`'s default ``stderr``: this process's ``sys.stderr``, looked up at call time."""


def _copy_stderr(stream: IO[str], sink: IO[str] | None, tail: deque[str]) -> threading.Thread:
    """A daemon thread that copies the runner's stderr lines to ``sink`` as they come (a
    text stream, or None) and keeps the last non-empty one in ``tail``."""

    def pump() -> None:
        out = sink
        for line in stream:
            if line.strip():
                tail.append(line.strip())
            if out is not None:
                try:
                    out.write(line)
                    out.flush()
                except (OSError, ValueError):  # closed or broken: keep reading, stop copying
                    out = None

    thread = threading.Thread(target=pump, name="notebase-run-stderr", daemon=True)
    thread.start()
    return thread


def spec_processes(spec_path: Path, quick: bool) -> int:
    """The most processes a sweep point of the spec asks for (``params.processes``; 1 when
    none, or when the spec does not load: the runner then says why)."""
    from notebase.experiments.spec import load_spec
    from notebase.experiments.sweep import resolved_params

    try:
        value = resolved_params(load_spec(spec_path), quick).get("processes") or 1
    except (UserError, OSError, ValueError):
        return 1
    values = value if isinstance(value, list) else [value]
    return max([1, *(v for v in values if isinstance(v, int))])


def run_spec(
    spec_path: Path,
    *,
    quick: bool = False,
    device: str = "auto",
    runs_dir: Path,
    on_event: EventHandler | None = None,
    cancel: Cancel = None,
    stderr: IO[str] | None = PROCESS_STDERR,
    launch: Launch = ONE,
) -> RunEnd:
    """Run one spec in the runner subprocess, to its end.

    The runner gets its own session: a Ctrl-C in the terminal reaches this process, and
    ``cancel`` (an Event or a callable) decides what the runner gets (one SIGINT: it records
    ``interrupted``). A KeyboardInterrupt here stops the runner too and is re-raised.
    ``on_event`` gets every runner event, on this thread. The runner's stderr lines are
    copied to ``stderr`` as they come (a text stream; by default this process's stderr;
    None: nowhere); its last line explains a runner that died without reporting its end.
    Raises UserError when the runner refuses to start (e.g. ``cuda`` without a GPU).
    `launch` runs it on several processes through torch's launcher (`notebase.experiments.launch`).
    """
    from notebase.experiments.runner import iter_events, start_run_process

    if not launch.distributed:  # a spec sweeping ``processes`` starts as many as it needs
        wanted = spec_processes(spec_path, quick)
        if wanted > 1:
            launch = Launch(nproc=wanted)
    sink = sys.stderr if stderr is PROCESS_STDERR else stderr
    proc = start_run_process(
        spec_path, quick=quick, device=device, runs_dir=runs_dir, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,  # never the terminal an app is reading
        start_new_session=True, launch=launch,
    )
    tail: deque[str] = deque(maxlen=1)
    copier = _copy_stderr(proc.stderr, sink, tail) if proc.stderr is not None else None
    watcher = _watch_cancel(proc, cancel)
    end: dict = {}
    refused: str | None = None
    run_id = None
    record_hint = None
    try:
        for event in iter_events(proc):
            kind = event_kind(event)
            run_id = event.get("run_id") or run_id
            record_hint = event.get("record") or record_hint
            if kind == "end":
                end = event
            elif kind == "error":
                refused = str(event.get("message") or "the run could not start")
            if on_event is not None:
                on_event(event)
        proc.wait()
    except KeyboardInterrupt:
        stop_process(proc)
        raise
    finally:
        if proc.poll() is None:
            stop_process(proc)
        if watcher is not None:
            watcher.join(timeout=1.0)
        if copier is not None:  # a child the runner left behind may hold its stderr open
            copier.join(timeout=5.0)

    if not end and (refused is not None or proc.returncode == 2):
        raise UserError(refused or "the experiment runner rejected its arguments")
    record_path = end.get("record") or record_hint
    record_path = Path(record_path) if record_path else None
    record = try_load_record(record_path)
    status = end.get("status")
    if status is None:  # no end event: the runner died (or was killed) mid-run
        status = "interrupted" if is_cancelled(cancel) else "failed"
    error = end.get("error") or (record or {}).get("error")
    last_line = tail[-1] if tail else ""
    if status == "failed" and not end and last_line:  # a crash: its last words say why
        error = f"{last_line} (the runner exited with code {proc.returncode})"
    elif status != "ok" and not error:
        error = (
            "cancelled" if is_cancelled(cancel) else f"the runner exited with code {proc.returncode}"
        )
    run_id = end.get("run_id") or run_id or (record or {}).get("run_id")
    return RunEnd(status, error, run_id, record_path, record, ended=bool(end))
