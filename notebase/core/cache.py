"""The parsed-notes cache under ``<vault>/.notebase/``: unchanged files are not parsed again.

A note is reused when its file's ``mtime_ns`` and ``size`` are those recorded with it.
The cache is a convenience, never a source of truth:

- any unreadable, corrupt, foreign or outdated cache is ignored (and rebuilt on save);
- it is written to a temporary file and renamed, so a crash never leaves half a cache;
- a read-only vault (or any other write error) simply means no cache.

It is a pickle read with an allow-list of classes: a cache file that came with a shared
vault cannot make ``load`` run code or build anything but notes.
"""

from __future__ import annotations

import io
import os
import pickle
import tempfile
from pathlib import Path

from notebase.core.note import Note

CACHE_DIR_NAME = ".notebase"
CACHE_FILE_NAME = "notes-cache.pickle"
CACHE_FORMAT = 1
"""Bump when Note or the parser changes in a way that makes old entries wrong."""

CacheEntries = dict[str, tuple[int, int, Note]]
"""Vault-relative path -> (mtime_ns, size, parsed note)."""

_ALLOWED_CLASSES = {
    ("notebase.core.note", name)
    for name in ("Note", "Link", "Footnote", "Citation", "Question", "ResultsBlock")
} | {("datetime", name) for name in ("date", "datetime", "time", "timedelta", "timezone")}


class _NotesUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) in _ALLOWED_CLASSES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a notes cache")


def cache_path(vault_root: Path) -> Path:
    return Path(vault_root) / CACHE_DIR_NAME / CACHE_FILE_NAME


def load_cache(vault_root: Path, fingerprint: str) -> CacheEntries:
    """The cached notes, or ``{}`` when there is no usable cache (never raises)."""
    try:
        data = cache_path(vault_root).read_bytes()
        stored = _NotesUnpickler(io.BytesIO(data)).load()
    except Exception:  # missing, unreadable, truncated, corrupt, foreign: start afresh
        return {}
    if (
        not isinstance(stored, dict)
        or stored.get("format") != CACHE_FORMAT
        or stored.get("fingerprint") != fingerprint
        or not isinstance(stored.get("entries"), dict)
    ):
        return {}
    entries = stored["entries"]
    for value in entries.values():  # one odd entry spoils the file: do not half-trust it
        if not (isinstance(value, tuple) and len(value) == 3 and isinstance(value[2], Note)):
            return {}
    return entries


def save_cache(vault_root: Path, fingerprint: str, entries: CacheEntries) -> bool:
    """Write the cache atomically; False (silently) when the vault cannot be written."""
    target = cache_path(vault_root)
    tmp_name = None
    try:
        target.parent.mkdir(exist_ok=True)
        ignore_file = target.parent / ".gitignore"
        if not ignore_file.exists():
            ignore_file.write_text("# notebase's caches: safe to delete\n*\n", encoding="utf-8")
        payload = {"format": CACHE_FORMAT, "fingerprint": fingerprint, "entries": entries}
        fd, tmp_name = tempfile.mkstemp(prefix=".notes-cache-", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp_name, target)
        tmp_name = None
        return True
    except Exception:  # read-only vault, full disk, odd file system: caching is optional
        return False
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass
