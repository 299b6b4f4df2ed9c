"""What this machine can tell about a process by its pid, without importing torch: whether
it still runs (a zombie has ended), its start time (so a reused pid is not taken for it), and
how many CPUs this process may use. The run records (`records.runner_alive`), the runner's
parent watch (`stopping`) and the ranks' check for a dead peer (`distributed.peer_state`)
all ask here."""

from __future__ import annotations

import os


def process_state(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks since boot) of a process, from /proc; None
    where there is no /proc or no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def process_alive(pid: int) -> bool:
    """Whether process `pid` runs: a zombie (ended, not yet reaped) does not; another user's
    process does."""
    state = process_state(pid)
    if state is not None:
        return state[0] not in ("Z", "X")
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (OSError, AttributeError):
        return os.cpu_count() or 1
