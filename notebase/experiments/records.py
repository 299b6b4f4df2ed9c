"""Run records: one JSON file per run in ``<experiments>/runs/<run_id>.json``.

A record is written when a run starts (status ``running``) and rewritten when it ends
(``ok``, ``failed`` with the error, or ``interrupted``), always atomically, so a killed run
still leaves a record. Run ids sort by start time: ``20261127T143000Z-1a2b3c``.

Reading is defensive, because records are files anyone can edit and run ids come from notes
(``run=`` in a results marker):

- A run id is looked up only when it has the runner's form (`is_run_id`), so ``../../secret``
  never names a file outside ``runs/`` (`record_path` raises `RecordError`, `find_record`
  answers None).
- A record is checked on read (`check_record`): JSON of another shape (``[1, 2, 3]``,
  ``{"results": 5}``) is unreadable, with a reason, never a crash further on.
- A record still ``running`` whose runner process is gone (killed with SIGKILL, the machine
  rebooted) is read as ``interrupted`` with ``runner_died: true`` (`settle_stale`): the
  runner records its pid, host name and process start time to tell.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from notebase.errors import UserError
from notebase.experiments.processes import process_state

RUN_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")
"""A run id as `new_run_id` makes it: UTC start time, ``-``, six hex digits."""
STATUSES = ("running", "ok", "failed", "interrupted")


class RecordError(ValueError):
    """A run id that is not one, or a record file of the wrong shape."""


def utc_now() -> str:
    """The current time, ISO 8601 in UTC with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def is_run_id(run_id: object) -> bool:
    """True when `run_id` has the form the runner gives (``20261127T143000Z-1a2b3c``)."""
    return isinstance(run_id, str) and RUN_ID.fullmatch(run_id) is not None


def record_path(runs_dir: Path, run_id: str) -> Path:
    """Where run `run_id`'s record lives: ``runs_dir/<run_id>.json``.

    `RecordError` (a ValueError) when `run_id` is not a run id (`is_run_id`): a name from a
    note never becomes a path elsewhere."""
    if not is_run_id(run_id):
        raise RecordError(f"not a run id: {run_id!r} (run ids look like 20261127T143000Z-1a2b3c)")
    return Path(runs_dir) / f"{run_id}.json"


def check_runs_dir(runs_dir: Path) -> None:
    """Make sure run records can be written into `runs_dir` (creating it), before a run
    starts; `UserError` (one line) when they cannot: a read-only folder, a file in its place.
    """
    runs_dir = Path(runs_dir)
    if runs_dir.exists() and not runs_dir.is_dir():
        raise UserError(f"cannot write run records to {runs_dir}: it is not a folder")
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=runs_dir, prefix=".notebase-probe-", suffix=".tmp")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise UserError(
            f"cannot write run records to {runs_dir}: {exc.strerror or exc}"
        ) from None


def write_record(runs_dir: Path, record: dict[str, Any]) -> Path:
    """Write `record` as ``runs_dir/<run_id>.json`` atomically; returns the path."""
    path = record_path(runs_dir, record["run_id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    try:
        temporary.write_text(
            json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n",
            encoding="utf-8",
        )
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


# --------------------------------------------------------------------------- a run's life


def new_record(**fields: Any) -> dict[str, Any]:
    """A record for a run starting now (status ``running``): a new run id, the start time,
    the runner's identity (`runner_identity`) and `fields` (experiment, spec, device...)."""
    return {
        "run_id": new_run_id(),
        **fields,
        **runner_identity(),
        "started_at": utc_now(),
        "ended_at": None,
        "status": "running",
        "error": None,
        "results": [],
    }


class RecordKeeper:
    """Writes one run's record through its life: `save` at the start and after each row
    (an OSError there is the run's failure), `finish` once at the end (never raises: a record
    that cannot be written is said in its ``error``, which the end event carries)."""

    def __init__(self, runs_dir: Path, record: dict[str, Any], *, enabled: bool = True):
        self.runs_dir = Path(runs_dir)
        self.record = record
        self.enabled = enabled
        """False on the ranks other than 0 of a torchrun run: they write nothing."""
        self.path = record_path(runs_dir, record["run_id"])

    def save(self) -> None:
        if self.enabled:
            write_record(self.runs_dir, self.record)

    def finish(self, status: str, error: str | None) -> None:
        self.record.update(status=status, error=error, ended_at=utc_now())
        try:
            self.save()
        except OSError as exc:
            unwritten = f"the record could not be written to {self.path}: {exc.strerror or exc}"
            self.record["error"] = f"{error}; {unwritten}" if error else unwritten


# --------------------------------------------------------------------------- the runner


def runner_identity() -> dict[str, Any]:
    """What a record stores to tell later whether its runner still lives: ``pid``,
    ``host`` and ``pid_started`` (the process start time, so a reused pid is not taken for
    it; None without /proc)."""
    pid = os.getpid()
    start = process_state(pid)
    return {"pid": pid, "host": socket.gethostname(), "pid_started": start[1] if start else None}


def runner_alive(record: dict[str, Any]) -> bool | None:
    """Whether the process that wrote `record` still runs: None when that cannot be told
    (no pid, another host)."""
    pid = record.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    if record.get("host") != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        pass
    except OSError:
        return None
    state = process_state(pid)
    if state is None:
        return True
    letter, started = state
    if letter in ("Z", "X"):  # a zombie: dead, only not yet reaped by its parent
        return False
    expected = record.get("pid_started")
    return not (isinstance(expected, int) and expected != started)


def settle_stale(record: dict[str, Any]) -> dict[str, Any]:
    """`record`, or when it says ``running`` but its runner is dead, a copy that says
    ``interrupted`` with ``runner_died: true`` and an error saying so."""
    if record.get("status") != "running" or runner_alive(record) is not False:
        return record
    settled = dict(record)
    settled["status"] = "interrupted"
    settled["runner_died"] = True
    settled["error"] = (
        f"interrupted (runner died): process {record.get('pid')} ended without recording "
        "how the run ended"
    )
    return settled


# --------------------------------------------------------------------------- reading

_TEXT_KEYS = (
    "title", "spec_hash", "device", "device_name", "torch_version", "git_commit",
    "started_at", "ended_at", "error", "host",
)
_INT_KEYS = ("world_size", "pid", "pid_started", "seed")
_ROW_NUMBERS = (
    "inner_steps", "meta_iterations", "meta_batch", "seconds_per_iteration",
    "tasks_per_second", "peak_memory_bytes", "meta_train_loss", "train_seconds",
    "compile_seconds", "pre_adaptation_loss", "post_adaptation_loss",
    "pre_adaptation_accuracy", "post_adaptation_accuracy", "eval_tasks", "eval_steps",
)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_record(data: object) -> str | None:
    """Why `data` (parsed JSON) is not a run record, or None when it has a record's shape:
    an object with string ``run_id``, ``experiment`` and ``status`` (one of `STATUSES`), a
    list ``results`` of objects whose known measurements are numbers, and the other known
    keys of their types (absent or null is fine)."""
    if not isinstance(data, dict):
        return f"a run record is a JSON object, not {type(data).__name__}"
    for key in ("run_id", "experiment", "status"):
        if not isinstance(data.get(key), str):
            return f"'{key}' must be a string"
    if data["status"] not in STATUSES:
        return f"unknown status {data['status']!r} (known: {', '.join(STATUSES)})"
    for key in _TEXT_KEYS:
        if data.get(key) is not None and not isinstance(data[key], str):
            return f"'{key}' must be a string"
    for key in _INT_KEYS:
        value = data.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            return f"'{key}' must be an integer"
    for key in ("quick", "git_dirty"):
        if data.get(key) is not None and not isinstance(data[key], bool):
            return f"'{key}' must be true or false"
    spec = data.get("spec")
    if spec is not None and not (
        isinstance(spec, dict) and isinstance(spec.get("params", {}), dict)
    ):
        return "'spec' must be an object (with an object 'params')"
    results = data.get("results")
    if not isinstance(results, list):
        return "'results' must be a list"
    for number, row in enumerate(results, 1):
        if not isinstance(row, dict):
            return f"results row {number} must be an object"
        if row.get("algorithm") is not None and not isinstance(row["algorithm"], str):
            return f"results row {number}: 'algorithm' must be a string"
        if row.get("memory_kind") is not None and not isinstance(row["memory_kind"], str):
            return f"results row {number}: 'memory_kind' must be a string"
        if row.get("params") is not None and not isinstance(row["params"], dict):
            return f"results row {number}: 'params' must be an object"
        for key in _ROW_NUMBERS:
            if row.get(key) is not None and not _is_number(row[key]):
                return f"results row {number}: '{key}' must be a number"
    return None


def load_record(path: Path) -> dict[str, Any]:
    """One run record, checked (`check_record`) and settled (`settle_stale`); OSError when
    it cannot be read, ValueError (`RecordError`, saying why) when it is not a record."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise RecordError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except RecursionError:
        raise RecordError(f"{path}: JSON nested too deeply") from None
    except ValueError as exc:
        raise RecordError(f"{path}: not valid JSON ({exc})") from None
    problem = check_record(data)
    if problem is not None:
        raise RecordError(f"{path}: not a run record: {problem}")
    return settle_stale(data)


def read_record(path: Path | str | None) -> tuple[dict[str, Any] | None, str | None]:
    """(the record, None), or (None, why it cannot be read) — never raises."""
    if not path:
        return None, "no record path"
    try:
        return load_record(Path(path)), None
    except OSError as exc:
        return None, f"{path}: cannot read: {exc.strerror or exc}"
    except ValueError as exc:
        return None, str(exc)


def try_load_record(path: Path | str | None) -> dict[str, Any] | None:
    """One run record, or None when there is no path or it cannot be read (missing, not
    JSON, not shaped like a record: see `read_record` for the reason)."""
    return read_record(path)[0]


def find_record(runs_dir: Path, run_id: object) -> dict[str, Any] | None:
    """The record of run `run_id` in `runs_dir`, or None: no such run, unreadable, or
    `run_id` is not a run id (``../../secret`` is never looked up)."""
    if not is_run_id(run_id):
        return None
    return try_load_record(record_path(runs_dir, str(run_id)))


def list_records(runs_dir: Path, experiment: str | None = None) -> list[dict[str, Any]]:
    """All readable records, oldest first; only one experiment's when `experiment` is given."""
    runs_dir = Path(runs_dir)
    records = []
    for path in sorted(runs_dir.glob("*.json")) if runs_dir.is_dir() else []:
        record = try_load_record(path)
        if record is None:
            continue
        if experiment is None or record.get("experiment") == experiment:
            records.append(record)
    return records


def git_state(where: Path) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the git work tree holding `where`; (None, None) outside git."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(status.strip())
