"""What creating, renaming and trashing a note share: the error, file names, where in the vault.

`note_file_name` turns a title into a file name Obsidian accepts; `vault_folder` checks that a
folder named by the user lies inside the vault, in a folder the scan reads; `existing_name`
finds a file whose name collides with a new one the way links compare names (case-insensitive,
NFC, so an NFD name synced from macOS collides too); `move_no_replace` renames a file without
ever replacing one. The operations themselves are `note_create`, `note_rename`, `note_trash`.
"""

from __future__ import annotations

import os
import posixpath
import re
import unicodedata
from pathlib import Path

from notebase.config import VaultConfig
from notebase.core.file_replace import is_inside, rename_no_replace
from notebase.core.link_resolution import name_key
from notebase.errors import UserError

TRASH_FOLDER = ".trash"
"""Obsidian's trash folder at the vault root (a dot folder: never scanned)."""

MAX_NAME_BYTES = 200
"""A file name's stem is cut to this many UTF-8 bytes (file systems allow 255 for the whole
name; the rest leaves room for ``.md``, a ``.results.md`` sidecar and a trash number)."""

# Characters Obsidian refuses in file names, plus the path separators of every system.
_FORBIDDEN = re.compile(r'[\\/:*?"<>|#^\[\]]')
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]"
)
_SPACES = re.compile(r"\s+")
_SURROGATE = re.compile("[\ud800-\udfff]")


class NoteOpError(UserError):
    """A note cannot be created, renamed or moved to the trash; the message says why in one
    line. A `UserError`: the CLI prints it without a traceback."""


def _check_utf8(text: str) -> None:
    """NoteOpError when ``text`` holds a lone surrogate: a byte that is not UTF-8, as the OS
    hands it over (a command-line argument), which no file name of the vault may get."""
    if _SURROGATE.search(text):
        raise NoteOpError(f"{text!r} is not valid UTF-8")


def clean_title(title: str) -> str:
    """A title as one line of text: NFC, control and direction characters and runs of
    white space made one space, trimmed. NoteOpError for text that is not valid UTF-8."""
    _check_utf8(str(title))
    text = unicodedata.normalize("NFC", str(title))
    text = _INVISIBLE.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def note_file_name(title: str) -> str:
    """The file name of a note called ``title``: Unicode (Korean included) kept, NFC; the
    characters Obsidian forbids in names (``\\ / : * ? " < > | # ^ [ ]``) become spaces,
    control characters go, white space is collapsed, leading dots and trailing dots and
    spaces are stripped, the stem is cut to `MAX_NAME_BYTES`, and ``.md`` is added (a title
    that already ends in ``.md`` keeps one). NoteOpError when nothing is left."""
    text = clean_title(title)
    if text[-3:].casefold() == ".md":
        text = text[:-3]
    text = _SPACES.sub(" ", _FORBIDDEN.sub(" ", text)).strip()
    text = text.lstrip(". ").rstrip(". ")
    encoded = text.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        text = encoded[:MAX_NAME_BYTES].decode("utf-8", "ignore").rstrip(". ")
    if not text:
        raise NoteOpError(f"{title!r} leaves no file name (letters or digits needed)")
    return text + ".md"


def split_rel(rel: str) -> list[str]:
    """A vault-relative path's parts, ``\\`` read as ``/``, empty and ``.`` parts dropped.
    NoteOpError for an absolute path, one with ``..``, or one that is not valid UTF-8."""
    _check_utf8(str(rel))
    text = unicodedata.normalize("NFC", str(rel)).strip().replace("\\", "/")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise NoteOpError(f"{rel!r} is an absolute path; give a path inside the vault")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise NoteOpError(f"{rel!r} leaves the vault ('..' is not allowed)")
    return parts


def vault_folder(vault_root: Path, folder: str, config: VaultConfig | None = None) -> str:
    """``folder`` as a clean vault-relative POSIX path (``""`` for the root), after checking
    that notes may go there: no absolute path, no ``..``, no folder the scan skips (dot
    folders such as ``.trash`` and ``.notebase``, configured ``ignore_dirs``), and no
    symbolic link leading out of the vault. The folder need not exist yet."""
    parts = split_rel(folder)
    config = config or VaultConfig.load(vault_root)
    for depth, name in enumerate(parts):
        if config.skips_folder(name, "/".join(parts[: depth + 1])):
            raise NoteOpError(
                f"folder {'/'.join(parts)!r} is not read as part of the vault "
                f"({name!r} is skipped): notes there would not be seen"
            )
    rel = "/".join(parts)
    here = Path(vault_root)
    for depth, name in enumerate(parts):
        here = disk_path(here, name)  # as spelled on disk (NFD), when it exists
        shown = "/".join(parts[: depth + 1])
        if os.path.islink(here):
            raise NoteOpError(
                f"folder {shown!r} is a symbolic link, which the vault scan does not follow: "
                "notes there would not be seen"
            )
        if os.path.lexists(here) and not os.path.isdir(here):
            raise NoteOpError(f"{shown!r} is a file, not a folder")
        if not os.path.lexists(here) and (_FORBIDDEN.search(name) or _INVISIBLE.search(name)):
            raise NoteOpError(  # a folder to be made gets a name links can use
                f"folder name {name!r} has a character Obsidian does not allow "
                '(\\ / : * ? " < > | # ^ [ ] or a control character)'
            )
    real = os.path.realpath(here)
    if not is_inside(real, os.path.realpath(vault_root)):
        raise NoteOpError(f"folder {rel!r} leads outside the vault (to {real})")
    return rel


def existing_name(folder: Path, name: str) -> str | None:
    """The name of an entry of ``folder`` that collides with ``name`` (same after NFC and
    case folding, as links compare names), or None. A missing folder holds nothing."""
    key = name_key(name)
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if name_key(os.fsdecode(entry.name)) == key:
                    return entry.name
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise NoteOpError(f"cannot read folder {folder} ({exc.strerror})") from None
    return None


def locate(vault_root: Path, rel: str) -> Path:
    """Where the vault-relative note ``rel`` (NFC, as the vault names it) is on disk: its
    real name, which may be NFD. NoteOpError when there is no such file."""
    if not split_rel(rel):
        raise NoteOpError("no note named ''")
    path = disk_path(vault_root, rel)
    if not os.path.lexists(path):
        raise NoteOpError(f"no note {rel!r} in {vault_root}")
    return path


def disk_path(vault_root: Path, rel: str) -> Path:
    """``rel`` under ``vault_root`` with each part that exists under another normalisation
    (an NFD name synced from macOS) spelled as on disk, so that a new file goes into the
    folder that is there rather than into a second one that looks the same."""
    here = Path(vault_root)
    for part in split_rel(rel):
        if not os.path.lexists(here / part):
            part = _nfc_entry(here, part) or part
        here = here / part
    return here


def _nfc_entry(folder: Path, name: str) -> str | None:
    """The entry of ``folder`` whose name is ``name`` after NFC (an NFD name), or None."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if unicodedata.normalize("NFC", entry.name) == name:
                    return entry.name
    except OSError:
        return None
    return None


def is_same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samestat(os.lstat(a), os.lstat(b))
    except OSError:
        return False


def move_no_replace(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target`` (same file system) and never over an existing file:
    ``renameat2(RENAME_NOREPLACE)`` where the system has it, else a check right before
    ``os.rename``. A name that differs only in case or normalisation from ``source`` (a
    rename on a case-insensitive file system) is allowed. NoteOpError when ``target`` exists."""
    if os.path.lexists(target) and not is_same_file(source, target):
        raise NoteOpError(f"{target.name} already exists")
    if not is_same_file(source, target):
        try:
            if rename_no_replace(source, target):
                return
        except FileExistsError:
            raise NoteOpError(f"{target.name} already exists") from None
        except OSError as exc:
            raise NoteOpError(f"cannot move {source.name} ({exc.strerror})") from None
    try:
        os.rename(source, target)
    except OSError as exc:
        raise NoteOpError(f"cannot move {source.name} ({exc.strerror})") from None


def posix_join(folder: str, name: str) -> str:
    return posixpath.join(folder, name) if folder else name
