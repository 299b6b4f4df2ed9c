"""What the index holds, file by file: a small side file next to the whoosh files.

For every indexed note it records ``(mtime_ns, size, content digest, valid)``. A new
process compares a directory scan with it to find changed, new and deleted notes without
opening or parsing a single unchanged note.

Two files in the index folder:

- ``manifest.json``: a full snapshot, rewritten only when compacted;
- ``manifest.log``: one JSON line appended per committed update (``set`` / ``del``), so a
  one-note update costs one small append instead of rewriting 10,000 entries.

Both are only written while holding the index lock, after the whoosh commit they
describe. If a process dies between the two, the manifest is older than the index: files
it believes stale are simply indexed again (updates are keyed by path, so idempotent).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

MANIFEST_FORMAT = "notebase-index-manifest"
BASE_NAME = "manifest.json"
LOG_NAME = "manifest.log"
COMPACT_AFTER_LINES = 200
BIG_UPDATE = 500
"""An update touching more files than this rewrites the snapshot instead of logging."""


class FileState(NamedTuple):
    """What the index saw of one note file when it indexed it.

    Entries loaded from disk stay the JSON lists they were (building 10,000 objects on
    every start cost ~15 ms); read both kinds by index: ``MTIME``, ``SIZE``, ``DIGEST``,
    ``VALID``."""

    mtime_ns: int
    size: int
    digest: str
    """Hex digest of the file's bytes: a changed mtime with the same content is no change."""
    valid: bool
    """False when the file could not be read as a note (indexed as raw text)."""


@dataclass(slots=True)
class Manifest:
    """The whole side file, loaded."""

    version: int
    """The index schema version it was written for (``schema.SCHEMA_VERSION``)."""
    config: str
    """``VaultConfig.fingerprint()`` of the settings the notes were parsed with."""
    generation: int
    """whoosh generation of the last commit it describes."""
    files: dict[str, FileState | list] = field(default_factory=dict)
    """Vault-relative path -> ``FileState`` (or the same four values as a list)."""
    log_lines: int = 0
    """Lines in manifest.log on top of the snapshot (compacted past COMPACT_AFTER_LINES)."""


MTIME, SIZE, DIGEST, VALID = range(4)


class ManifestError(Exception):
    """The side file is missing or unreadable: the index must be rebuilt."""


def load(folder: Path) -> Manifest:
    try:
        raw = json.loads((folder / BASE_NAME).read_text(encoding="utf-8"))
        if raw.get("format") != MANIFEST_FORMAT:
            raise ManifestError("not a notebase manifest")
        manifest = Manifest(
            version=int(raw["version"]),
            config=str(raw["config"]),
            generation=int(raw["generation"]),
            files=_checked(raw["files"]),
        )
    except FileNotFoundError:
        raise ManifestError("missing") from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ManifestError(f"unreadable ({exc.__class__.__name__})") from None
    base_generation = manifest.generation
    try:
        with open(folder / LOG_NAME, encoding="utf-8") as log:
            for line in log:
                try:
                    entry = json.loads(line)
                    generation = int(entry["generation"])
                    changed = _checked(entry["set"])
                    removed = list(entry["del"])
                except (ValueError, KeyError, TypeError, AttributeError):
                    break  # a torn last line: what follows is unknown, so stop here
                manifest.log_lines += 1
                if generation < base_generation:
                    continue  # already folded into the snapshot
                manifest.files.update(changed)
                for path in removed:
                    manifest.files.pop(path, None)
                manifest.generation = generation
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise ManifestError(f"unreadable log ({exc.__class__.__name__})") from None
    return manifest


def _checked(files: dict) -> dict[str, list]:
    """The JSON entries as they are, after a cheap shape check (ValueError if wrong)."""
    if not isinstance(files, dict):
        raise ValueError("files is not a mapping")
    for state in files.values():
        if not isinstance(state, list) or len(state) != 4:
            raise ValueError("bad file entry")
    return files


def write_snapshot(folder: Path, manifest: Manifest) -> None:
    """Rewrite the snapshot atomically and drop the log it now contains."""
    data = {
        "format": MANIFEST_FORMAT,
        "version": manifest.version,
        "config": manifest.config,
        "generation": manifest.generation,
        "files": {path: list(state) for path, state in manifest.files.items()},
    }
    tmp = folder / (BASE_NAME + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, folder / BASE_NAME)
    try:
        os.remove(folder / LOG_NAME)
    except FileNotFoundError:
        pass
    manifest.log_lines = 0


def append(
    folder: Path,
    manifest: Manifest,
    generation: int,
    changed: dict[str, FileState],
    removed: list[str],
) -> None:
    """Record one committed update in memory and on disk (compacting when the log is long)."""
    manifest.files.update(changed)
    for path in removed:
        manifest.files.pop(path, None)
    manifest.generation = generation
    if manifest.log_lines >= COMPACT_AFTER_LINES or len(changed) + len(removed) > BIG_UPDATE:
        write_snapshot(folder, manifest)
        return
    entry = {
        "generation": generation,
        "set": {path: list(state) for path, state in changed.items()},
        "del": removed,
    }
    with open(folder / LOG_NAME, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")
    manifest.log_lines += 1
