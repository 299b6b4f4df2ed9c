"""How a runner process stops: signals, the death of the process that started it, and a
reader that went away.

Every way a run can be stopped ends in the same place: a KeyboardInterrupt in the runner's
main thread, which `runner.run_experiment` records as ``interrupted`` before the process
exits with 130.

- SIGINT and SIGTERM raise it (`stop_on_signal`; set up by `install_signal_handlers`).
- The parent's death: `watch_parent` asks Linux for a SIGTERM when the parent ends
  (``PR_SET_PDEATHSIG``) and, everywhere, polls the parent pid from a thread. Under torchrun
  the watched pid is not the rank's parent (that is torchrun's agent) but the process that
  started torchrun: its liveness is polled.
- A broken events pipe (`EventWriter`): the reader is gone, so is the point of the run; the
  writer goes quiet and sends SIGTERM to its own process instead of raising into the run.

A process killed with SIGKILL cannot record anything: its record stays ``running`` on disk,
and readers tell it apart by its dead pid (`notebase.experiments.records.settle_stale`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import IO, Any

from notebase.experiments.processes import process_alive

STOPPED_BY_SIGNAL = threading.Event()
"""Set by the runner process's SIGINT/SIGTERM handler. The KeyboardInterrupt it raises can
land inside library code that turns it into another exception (seen as a rare ``failed``
record after Ctrl-C under load); a run that ends with any error after this is set was
stopped, and is recorded as ``interrupted``."""

PARENT_GONE = threading.Event()
"""Set when the process that started the runner has ended (or stopped reading its events):
the run stops as if interrupted, and the record says why."""

_parent_pid: int | None = None
"""The pid `watch_parent` watches (None: no parent to watch)."""
_ancestor = False
"""The watched pid is an ancestor further up (torchrun's agent between), not the parent."""

SIGNALLED = "interrupted by a signal (Ctrl-C or SIGTERM)"
PARENT_ENDED = "interrupted: the process that started the run ended"


PARENT_SETTLE_S = 0.5
"""How long a signalled runner looks for its parent's end before recording the signal."""


def stop_reason() -> str:
    """The ``error`` of a record stopped by a signal: which kind of stop it was. The SIGTERM
    of ``PR_SET_PDEATHSIG`` comes when the parent's *thread* that started us ends: a killed
    parent's other threads can keep its pid ours for a moment, so look again, briefly."""
    deadline = time.monotonic() + PARENT_SETTLE_S
    while not (PARENT_GONE.is_set() or _parent_gone()):
        if time.monotonic() >= deadline:
            return SIGNALLED
        time.sleep(0.02)
    return PARENT_ENDED


def _parent_gone() -> bool:
    """True (and `PARENT_GONE` set) when the watched parent has ended: this process was
    handed to another parent."""
    if _parent_pid is None:
        return False
    if _ancestor:
        if process_alive(_parent_pid):
            return False
    elif os.getppid() == _parent_pid and process_alive(_parent_pid):
        return False
    PARENT_GONE.set()
    return True


def parent_gone() -> bool:
    """Whether the process that started this runner has ended (`watch_parent`)."""
    return _parent_gone()


def stop_on_signal(signum, frame) -> None:
    STOPPED_BY_SIGNAL.set()
    _parent_gone()  # the SIGTERM of PR_SET_PDEATHSIG: say so in the record
    raise KeyboardInterrupt


def install_signal_handlers() -> None:
    """SIGTERM and SIGINT stop the run. SIGINT may arrive ignored (a parent started in the
    background passes SIG_IGN on): a run must always be stoppable by it."""
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)


def ignore_further_signals() -> None:
    """A second Ctrl-C must not cut the writing of the interrupted record short."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    except ValueError:  # not the main thread: signals are not ours to handle
        pass


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait (blocked, not lost) while inside, on this thread."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, OSError, ValueError):  # no pthread_sigmask here
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _stop_this_process() -> None:
    if not STOPPED_BY_SIGNAL.is_set():
        os.kill(os.getpid(), signal.SIGTERM)


class EventWriter:
    """Writes events as JSON lines. When the reader is gone (a broken pipe) it never raises:
    it goes quiet and stops the run (SIGTERM to this process), which records ``interrupted``."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.broken = False

    def __call__(self, event: dict[str, Any]) -> None:
        if self.broken:
            return
        try:
            self.stream.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # BrokenPipeError; ValueError: the stream was closed
            self.broken = True
            PARENT_GONE.set()
            _stop_this_process()

    def close(self) -> None:
        """Close quietly (a broken pipe must not print 'Exception ignored' at exit)."""
        try:
            self.stream.close()
        except (OSError, ValueError):
            pass


def watch_parent(parent_pid: int | None, poll_s: float = 0.5) -> None:
    """Stop this runner (SIGTERM: it records ``interrupted``) when `parent_pid` ends: at once
    on Linux (``PR_SET_PDEATHSIG``), else within `poll_s` (a thread polling the parent pid);
    at once when the parent ended before this ran."""
    global _parent_pid, _ancestor
    if not parent_pid:
        return
    _parent_pid = parent_pid
    # Under torchrun (its agent is the parent) the pid given is the one that started torchrun.
    _ancestor = os.getppid() != parent_pid and "TORCHELASTIC_RUN_ID" in os.environ
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    if _parent_gone():
        _stop_this_process()
        return

    def poll() -> None:
        while not _parent_gone():
            time.sleep(poll_s)
        _stop_this_process()

    threading.Thread(target=poll, name="notebase-parent-watch", daemon=True).start()
