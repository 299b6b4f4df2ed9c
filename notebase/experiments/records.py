"""Run records: one JSON file per run in ``<experiments>/runs/<run_id>.json``.

A record is written when a run starts (status ``running``) and rewritten when it ends
(``ok``, ``failed`` with the error, or ``interrupted``), always atomically, so a killed run
still leaves a record. Run ids sort by start time: ``20261127T143000Z-1a2b3c``.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def utc_now() -> str:
    """The current time, ISO 8601 in UTC with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def record_path(runs_dir: Path, run_id: str) -> Path:
    """Where run `run_id`'s record lives: ``runs_dir/<run_id>.json``."""
    return Path(runs_dir) / f"{run_id}.json"


def write_record(runs_dir: Path, record: dict[str, Any]) -> Path:
    """Write `record` as ``runs_dir/<run_id>.json`` atomically; returns the path."""
    path = record_path(runs_dir, record["run_id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(
        json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"
    )
    os.replace(temporary, path)
    return path


def load_record(path: Path) -> dict[str, Any]:
    """One run record; OSError or ValueError when it cannot be read."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def try_load_record(path: Path | str | None) -> dict[str, Any] | None:
    """One run record, or None when there is no path or it cannot be read."""
    if not path:
        return None
    try:
        return load_record(Path(path))
    except (OSError, ValueError):
        return None


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
