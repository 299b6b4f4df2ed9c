"""Which files of a vault folder are notes, what they are named, and reading one.

``scan_files`` walks the folder once (dot-folders, configured folders and symlinked
folders skipped) and names each file with ``file_name_text``; ``is_note_path`` applies
the same rule to one path (for a file watcher); ``read_note_file`` parses one file and
never raises. The search index scans with the same naming (`notebase.index.scan`).

A results sidecar (``<stem>.results.md``, or ``<stem>.results.<run>.md``: what
`notebase.core.note_writer` writes beside a note it could not write) is no note: it is
not listed, indexed or checked as one, but kept among the other files, and
``sidecar_owner`` names the note it belongs to.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from notebase.config import VaultConfig
from notebase.core.note import Note

SIDECAR_SUFFIX = ".results"
"""What ends a sidecar's stem: ``<note stem>.results.md``, or ``.results.<run>.md``."""
_RUN_CHARS = re.compile(r"[^\w.-]")
"""What a run id may not keep in a file name (each becomes ``_``)."""
_SIDECAR = re.compile(
    rf"(.+?)(?ai:{re.escape(SIDECAR_SUFFIX)})(?:\.([\w-][\w.-]*))?(?ai:\.md)", re.DOTALL
)
"""A sidecar's name: the note's stem, the suffix, a run's part as `sidecar_name` writes it
(the suffix and ``.md`` in any ASCII case: ``ſ`` is no ``s`` here)."""


def sidecar_name(note_stem: str, run: str | None = None) -> str:
    """The file name of a note's results sidecar: ``<stem>.results.md``, or
    ``<stem>.results.<run>.md`` for one run's own. ``run`` is cleaned for a file name: each
    character but letters, digits, ``_``, ``.`` and ``-`` becomes ``_``, leading dots go,
    and ``run`` stands for what is left empty (``sidecar_owner`` reads every such name)."""
    if run is None:
        return f"{note_stem}{SIDECAR_SUFFIX}.md"
    run = _RUN_CHARS.sub("_", run).lstrip(".") or "run"
    return f"{note_stem}{SIDECAR_SUFFIX}.{run}.md"


def sidecar_owner(name: str) -> str | None:
    """The file name of the note that a results sidecar named ``name`` (a file name or a
    vault path) belongs to, in the same folder: ``노트.results.md`` and
    ``노트.results.<run>.md`` -> ``노트.md``; None when ``name`` is no sidecar's (no name
    `sidecar_name` can write)."""
    folder, slash, base = name.rpartition("/")
    match = _SIDECAR.fullmatch(base)
    if match is None:
        return None
    return f"{folder}{slash}{match.group(1)}.md"


def sidecars_of(folder: Path, note_name: str) -> list[str]:
    """The names (as on disk, sorted by their NFC) of the results sidecars in ``folder`` that belong to
    the note named ``note_name`` there: ``<stem>.results.md`` and each run's
    ``<stem>.results.<run>.md`` (names compared after NFC, so NFD names count too)."""
    want = unicodedata.normalize("NFC", note_name)
    want = (want[:-3] if want[-3:].lower() == ".md" else want) + ".md"
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    nfc = {name: unicodedata.normalize("NFC", name) for name in names}
    return sorted((name for name in names if sidecar_owner(nfc[name]) == want), key=nfc.get)


def sidecar_renamed(name: str, note_stem: str) -> str:
    """The name the results sidecar ``name`` takes beside a note whose stem is now
    ``note_stem``: the same run's part, if it has one (``노트.results.<run>.md`` ->
    ``<note_stem>.results.<run>.md``). ValueError when ``name`` is no sidecar's."""
    match = _SIDECAR.fullmatch(unicodedata.normalize("NFC", name))
    if match is None:
        raise ValueError(f"{name!r} is no results sidecar")
    return sidecar_name(note_stem, match.group(2))


def is_sidecar_name(name: str) -> bool:
    """True for the name of a results sidecar (see ``sidecar_owner``)."""
    return sidecar_owner(name) is not None


def file_name_text(name: str) -> str:
    """A file name (or path) as the vault names it: NFC, and the bytes that are not UTF-8
    (which the OS hands over as lone surrogates) written as ``\\xNN``: ``bad\\xff.md``.
    That name can be stored, printed, searched and linked to; the file is still opened
    by its real name (``NoteFile.abs_path``). The scans of the vault and of the index
    both name files with it."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        try:
            name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate that stands for no byte
            name = name.encode("utf-8", "backslashreplace").decode("utf-8")
    return unicodedata.normalize("NFC", name)


@dataclass(frozen=True, slots=True)
class NoteFile:
    """One file found in the vault, as seen by ``stat``."""

    path: str
    """Vault-relative POSIX path, NFC-normalised (``"ml/메타러닝.md"``)."""
    abs_path: Path
    """Where it is on disk (its real, possibly NFD, name)."""
    mtime_ns: int
    size: int


def scan_files(root: Path, config: VaultConfig | None = None) -> tuple[list[NoteFile], list[str]]:
    """``(note files, other files)`` under ``root``: notes are ``*.md`` but results sidecars,
    the rest are attachments (vault-relative NFC paths). Symlinked folders are not followed
    (no loops)."""
    config = config or VaultConfig()
    notes: list[NoteFile] = []
    others: list[str] = []
    pending = [(Path(root), "")]
    while pending:
        folder, rel = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue  # an unreadable folder hides only itself
        for entry in entries:
            name = file_name_text(entry.name)
            rel_path = f"{rel}{name}"
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not config.skips_folder(name, rel_path):
                        pending.append((Path(entry.path), rel_path + "/"))
                    continue
                if name.startswith(".") or not entry.is_file():
                    continue
                if name[-3:].lower() == ".md" and not is_sidecar_name(name):
                    info = entry.stat()
                    notes.append(
                        NoteFile(rel_path, Path(entry.path), info.st_mtime_ns, info.st_size)
                    )
                else:
                    others.append(rel_path)
            except OSError:
                continue
    notes.sort(key=lambda f: f.path)
    others.sort()
    return notes, others


def is_note_path(path: str, config: VaultConfig) -> bool:
    """True when the scan reads vault-relative ``path`` as a note: a ``*.md`` file, not
    hidden, no results sidecar, in no folder the scan skips (the same rule as
    ``scan_files``, for callers that are told about one file, like a file watcher)."""
    parts = path.split("/")
    if not parts[-1].lower().endswith(".md") or parts[-1].startswith("."):
        return False
    if is_sidecar_name(parts[-1]):
        return False
    return not any(
        config.skips_folder(name, "/".join(parts[: depth + 1]))
        for depth, name in enumerate(parts[:-1])
    )


def iter_note_files(root: Path, config: VaultConfig | None = None) -> list[NoteFile]:
    """Every note file (``*.md``) of the vault, sorted by path."""
    return scan_files(root, config)[0]


def read_note_file(file: NoteFile, config: VaultConfig) -> Note:
    """Parse one file; an unreadable file becomes an invalid note, not an exception."""
    # The parser (markdown-it, YAML: ~30 ms of imports) loads only when a note is read:
    # the search index's scan names files with this module and must not pay for it.
    from notebase.core.parse import UNREADABLE, invalid_note, parse_note

    try:
        data = file.abs_path.read_bytes()
    except OSError as exc:
        return invalid_note(file.path, f"{UNREADABLE}: {exc.strerror or exc}")
    return parse_note(file.path, data, config)
