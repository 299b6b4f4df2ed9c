"""The index's own scan of the vault: one ``stat`` per note file, nothing parsed.

``scan_note_files`` runs before every CLI query, so it is written for speed, and follows
the rules of ``notebase.core.vault_files.scan_files`` (a test keeps the two in agreement).
``named_files`` and ``stat_note_files`` do the same for the files a watcher names.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from notebase.config import VaultConfig
from notebase.core.vault_files import file_name_text, is_note_path, is_sidecar_name


class ScannedFile(NamedTuple):
    """One note file as ``stat`` sees it (``notebase.core.vault_files.NoteFile`` without the
    ``Path`` object, whose construction was half the scan time at 10,000 notes)."""

    path: str
    """Vault-relative POSIX path (``file_name_text``: NFC, undecodable bytes escaped)."""
    abs_path: str
    """The file's real name, to open it by."""
    mtime_ns: int
    size: int


def scan_note_files(root: Path, config: VaultConfig) -> list[ScannedFile]:
    """Every note file under ``root`` with the same rules as
    ``notebase.core.vault_files.scan_files`` (``*.md``; dot-folders, ``config.ignore_dirs`` and
    symlinked folders skipped; results sidecars left out; names as ``file_name_text`` gives
    them)."""
    found: list[ScannedFile] = []
    pending = [(str(root), "")]
    while pending:
        folder, rel = pending.pop()
        try:
            entries = os.scandir(folder)
        except OSError:
            continue  # an unreadable folder hides only itself
        with entries:
            for entry in entries:
                name = entry.name
                if not name.isascii():
                    name = file_name_text(name)
                rel_path = rel + name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not config.skips_folder(name, rel_path):
                            pending.append((entry.path, rel_path + "/"))
                        continue
                    if name.startswith(".") or name[-3:].lower() != ".md" or not entry.is_file():
                        continue
                    if is_sidecar_name(name):
                        continue  # a results sidecar is no note
                    info = entry.stat()
                except OSError:
                    continue
                found.append(ScannedFile(rel_path, entry.path, info.st_mtime_ns, info.st_size))
    return found


def named_files(root: Path, paths: Iterable[str | Path]) -> dict[str, str]:
    """Files named by a caller (a watcher), vault-relative or absolute: vault path ->
    the file as named, its real name (maybe NFD, maybe bytes that are not UTF-8), so
    never rebuilt as root / vault path. Paths outside the vault are left out."""
    named: dict[str, str] = {}
    for raw in paths:
        path = Path(raw)
        real = str(path if path.is_absolute() else root / path)
        if path.is_absolute():
            try:
                path = path.relative_to(root)
            except ValueError:
                try:
                    path = path.resolve().relative_to(root.resolve())
                except ValueError:
                    continue
        named.setdefault(file_name_text(PurePosixPath(*path.parts).as_posix()), real)
    return named


def stat_note_files(named: dict[str, str], config: VaultConfig) -> list[ScannedFile]:
    """The notes among ``named`` (see ``named_files``) that exist, as the scan sees them."""
    found = []
    for rel, real in sorted(named.items()):
        if not is_note_path(rel, config):
            continue
        try:
            info = os.stat(real)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            found.append(ScannedFile(rel, real, info.st_mtime_ns, info.st_size))
    return found


def content_digest(data: bytes) -> str:
    """What the manifest remembers of a file's bytes: a touched but unchanged note is not
    indexed again."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
