"""The parsed-notes cache under ``<vault>/.notebase/``: unchanged files are not parsed again.

A note is reused when its file's ``mtime_ns`` and ``size`` are those recorded with it.
The cache is a convenience, never a source of truth:

- any unreadable, corrupt, foreign or outdated cache is ignored (and rebuilt on save);
- it is written to a temporary file and renamed, so a crash never leaves half a cache;
- a read-only vault (or any other write error) simply means no cache, and so does a
  ``.notebase`` that is a symbolic link (it is neither read nor written through).

Notes are stored as plain tuples (fast to load) in a pickle that is read without allowing
any class: a cache file that came with a shared vault cannot make ``load`` run code.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import operator
import os
import pickle
import tempfile
from pathlib import Path

from notebase.core.note import Citation, Footnote, Link, Note, Question, ResultsBlock

CACHE_DIR_NAME = ".notebase"
CACHE_FILE_NAME = "notes-cache.pickle"
CACHE_FORMAT = 2
"""Bump when Note or the parser changes in a way that makes old entries wrong."""

CacheEntries = dict[str, tuple[int, int, Note]]
"""Vault-relative path -> (mtime_ns, size, parsed note)."""


class _PlainUnpickler(pickle.Unpickler):
    """Builds nothing but built-in containers, strings and numbers: a cache file that came
    with a shared vault cannot make ``load`` run code."""

    def find_class(self, module: str, name: str):
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a notes cache")


def load_plain(data: bytes):
    """Unpickle ``data`` built of plain values only (see `_PlainUnpickler`); raises on
    anything else or on garbled bytes."""
    return _PlainUnpickler(io.BytesIO(data)).load()


# ---- Note <-> plain tuples (much faster to (un)pickle than slotted dataclasses) -----------

_DATE_TAG = "\0notebase-date"
_DATETIME_TAG = "\0notebase-datetime"


def _plain_value(value):
    """A frontmatter value as built-in types; dates become tagged tuples."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain_value(v) for k, v in value.items()}
    if isinstance(value, datetime.datetime):
        return (_DATETIME_TAG, value.isoformat())
    if isinstance(value, datetime.date):
        return (_DATE_TAG, value.isoformat())
    return str(value)


def _rich_value(value):
    if isinstance(value, tuple):
        tag, text = value
        if tag == _DATETIME_TAG:
            return datetime.datetime.fromisoformat(text)
        return datetime.date.fromisoformat(text)
    if isinstance(value, list):
        return [_rich_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _rich_value(v) for k, v in value.items()}
    return value


def _field_names(cls) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


_LINK_FIELDS = _field_names(Link)
_FOOTNOTE_FIELDS = _field_names(Footnote)
_CITATION_FIELDS = _field_names(Citation)
_QUESTION_FIELDS = _field_names(Question)
_BLOCK_FIELDS = _field_names(ResultsBlock)
_NOTE_FIELDS = _field_names(Note)
SCHEMA = repr(
    (
        _LINK_FIELDS,
        _FOOTNOTE_FIELDS,
        _CITATION_FIELDS,
        _QUESTION_FIELDS,
        _BLOCK_FIELDS,
        _NOTE_FIELDS,
    )
)
"""Part of the cache key: a field added to the note dataclasses invalidates old caches."""

_get_link = operator.attrgetter(*_LINK_FIELDS)
_get_footnote = operator.attrgetter(*_FOOTNOTE_FIELDS)
_get_citation = operator.attrgetter(*_CITATION_FIELDS)
_get_question = operator.attrgetter(*_QUESTION_FIELDS)
_get_block = operator.attrgetter(*_BLOCK_FIELDS)
_get_note = operator.attrgetter(*_NOTE_FIELDS)
_NOTE_INDEX = {name: i for i, name in enumerate(_NOTE_FIELDS)}
_CITATION_AT = _FOOTNOTE_FIELDS.index("citation")
_RESOLVED_AT = _LINK_FIELDS.index("resolved")


def encode_note(note: Note) -> list:
    """``note`` as lists and tuples of built-in values, field by field in declaration
    order (a link's ``resolved`` is dropped: the vault recomputes it)."""
    values = list(_get_note(note))
    values[_NOTE_INDEX["frontmatter"]] = _plain_value(note.frontmatter)
    links = []
    for link in note.links:
        fields = list(_get_link(link))
        fields[_RESOLVED_AT] = None
        links.append(tuple(fields))
    values[_NOTE_INDEX["links"]] = links
    footnotes = []
    for footnote in note.footnotes:
        fields = list(_get_footnote(footnote))
        fields[_CITATION_AT] = _get_citation(footnote.citation)
        footnotes.append(tuple(fields))
    values[_NOTE_INDEX["footnotes"]] = footnotes
    values[_NOTE_INDEX["questions"]] = [_get_question(q) for q in note.questions]
    values[_NOTE_INDEX["results_blocks"]] = [_get_block(b) for b in note.results_blocks]
    return values


def decode_note(values: list) -> Note:
    """The inverse of ``encode_note``."""
    at = _NOTE_INDEX
    values[at["frontmatter"]] = _rich_value(values[at["frontmatter"]])
    values[at["links"]] = [Link(*fields) for fields in values[at["links"]]]
    footnotes = []
    for fields in values[at["footnotes"]]:
        fields = list(fields)
        fields[_CITATION_AT] = Citation(*fields[_CITATION_AT])
        footnotes.append(Footnote(*fields))
    values[at["footnotes"]] = footnotes
    values[at["questions"]] = [Question(*fields) for fields in values[at["questions"]]]
    values[at["results_blocks"]] = [
        ResultsBlock(*fields) for fields in values[at["results_blocks"]]
    ]
    return Note(*values)


def cache_path(vault_root: Path) -> Path:
    return Path(vault_root) / CACHE_DIR_NAME / CACHE_FILE_NAME


def load_cache(vault_root: Path, fingerprint: str) -> CacheEntries:
    """The cached notes, or ``{}`` when there is no usable cache (never raises)."""
    path = cache_path(vault_root)
    try:
        if path.parent.is_symlink():
            return {}  # a cache outside the vault is not ours to read
        data = path.read_bytes()
        stored = load_plain(data)
    except Exception:  # missing, unreadable, truncated, corrupt, foreign: start afresh
        return {}
    if (
        not isinstance(stored, dict)
        or stored.get("format") != CACHE_FORMAT
        or stored.get("fingerprint") != fingerprint
        or stored.get("schema") != SCHEMA
        or not isinstance(stored.get("entries"), dict)
    ):
        return {}
    try:
        return {
            path: (mtime_ns, size, decode_note(encoded))
            for path, (mtime_ns, size, encoded) in stored["entries"].items()
        }
    except Exception:  # one odd entry spoils the file: do not half-trust it
        return {}


def _writable(folder: Path) -> bool:
    """False for a folder marked read-only, even when we could write anyway (as root)."""
    try:
        return os.access(folder, os.W_OK) and bool(folder.stat().st_mode & 0o222)
    except OSError:
        return False


def _encoded(entries: CacheEntries) -> dict[str, tuple[int, int, list]]:
    """Every entry the cache can store: a note whose frontmatter cannot be walked (too
    deep, or containing itself) is left out and parsed again next time, instead of
    costing every other note its entry."""
    encoded = {}
    for path, (mtime_ns, size, note) in entries.items():
        try:
            encoded[path] = (mtime_ns, size, encode_note(note))
        except (RecursionError, ValueError, TypeError):
            continue
    return encoded


def save_cache(vault_root: Path, fingerprint: str, entries: CacheEntries) -> bool:
    """Write the cache atomically; False (silently) when the vault cannot be written."""
    target = cache_path(vault_root)
    tmp_name = None
    try:
        if not _writable(Path(vault_root)) or target.parent.is_symlink():
            return False  # nothing is written outside the vault, nor through a link
        target.parent.mkdir(exist_ok=True)
        ignore_file = target.parent / ".gitignore"
        if not ignore_file.exists():
            ignore_file.write_text("# notebase's caches: safe to delete\n*\n", encoding="utf-8")
        payload = {
            "format": CACHE_FORMAT,
            "fingerprint": fingerprint,
            "schema": SCHEMA,
            "entries": _encoded(entries),
        }
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
