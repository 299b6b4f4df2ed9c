"""Is the index on disk the one notebase wrote? Segment files checked on open.

whoosh opens segment files lazily and trusts them: a truncated ``.trm`` gave "Invalid
argument" on the first search, a zeroed ``.pst`` a traceback, a zeroed ``_len.col``
silently wrong scores. After each commit notebase records, in ``segments.json``, the size
and a digest of every file of the index's segments (segment files never change once
written, so only new ones are hashed). On open it compares:

- sizes, always (one ``stat`` per file: ~1 ms at 10,000 notes);
- digests too when asked (``notebase index`` reads every segment file once).

Whatever this misses, whoosh's own errors while searching or updating are caught by the
index, which rebuilds (``WhooshNoteIndex._heal``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

SEGMENTS_NAME = "segments.json"
CHUNK = 1 << 20


def _segment_prefixes(ix) -> tuple[str, ...]:
    return tuple(segment.segment_id() + "." for segment in ix._segments())


def _file_digest(path: Path) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def load(folder: Path) -> dict[str, list]:
    """File name -> [size, digest] as recorded; {} when missing or unreadable."""
    try:
        recorded = json.loads((folder / SEGMENTS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(recorded, dict):
        return {}
    return {
        name: entry
        for name, entry in recorded.items()
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int)
    }


def record(folder: Path, ix) -> None:
    """After a commit (write lock held): remember the files of the current segments."""
    previous = load(folder)
    prefixes = _segment_prefixes(ix)
    current: dict[str, list] = {}
    if prefixes:
        for name in os.listdir(folder):
            if not name.startswith(prefixes):
                continue
            size = os.stat(folder / name).st_size
            known = previous.get(name)
            if known is not None and known[0] == size:
                current[name] = known  # written once, never changed: hashed already
            else:
                current[name] = [size, _file_digest(folder / name)]
    tmp = folder / (SEGMENTS_NAME + ".tmp")
    tmp.write_text(json.dumps(current, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, folder / SEGMENTS_NAME)


def problem(folder: Path, ix, *, deep: bool = False) -> str | None:
    """Why the segment files of ``ix`` are not the ones recorded, or None. Files that
    were never recorded (an index from before this check) are not judged."""
    recorded = load(folder)
    if not recorded:
        return None
    prefixes = _segment_prefixes(ix)
    for name, (size, digest) in recorded.items():
        if not name.startswith(prefixes):
            continue  # a segment merged away since
        try:
            actual = os.stat(folder / name).st_size
        except FileNotFoundError:
            return f"is missing its file {name}"
        if actual != size:
            return f"file {name} has changed size ({size} -> {actual} bytes)"
        if deep and _file_digest(folder / name) != digest:
            return f"file {name} is damaged (its contents changed)"
    return None
