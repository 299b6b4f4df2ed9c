"""Deleting a note the way Obsidian does: moving it into ``<vault>/.trash/``, never removing it.

The note keeps its file name (``.trash/메모.md``); when that name is taken there, ``메모 1.md``,
``메모 2.md`` ... Its results sidecars (``<stem>.results.md`` and each run's
``<stem>.results.<run>.md``) go with it, numbered alike. ``.trash`` is a dot folder, so the
vault scan and the search index never read it (`notebase.config.VaultConfig.skips_folder`). Links to the note are left as they are (they
become broken, as in Obsidian); moving the file back restores everything.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from notebase.core.file_replace import is_inside
from notebase.core.note_ops import (
    TRASH_FOLDER,
    NoteOpError,
    locate,
    move_no_replace,
    split_rel,
)
from notebase.core.vault_files import sidecar_renamed, sidecars_of

MAX_TRIES = 10_000


def trash_note(vault_root: Path, path: str) -> str:
    """Move note ``path`` (vault-relative) and its results sidecars into ``.trash/`` and
    return the note's vault-relative path there. NoteOpError (one line) when there is no
    such note, it is not a ``.md`` file of the vault, or it cannot be moved. Nothing is
    ever deleted or written over."""
    vault_root = Path(vault_root)
    parts = split_rel(path)
    if not parts or parts[-1][-3:].casefold() != ".md":
        raise NoteOpError(f"{path!r} is not a note (a .md file)")
    if any(part.startswith(".") for part in parts[:-1]):
        raise NoteOpError(f"{path!r} is not in the vault's notes (a dot folder)")
    source = locate(vault_root, "/".join(parts))
    if not os.path.isfile(source) and not os.path.islink(source):
        raise NoteOpError(f"{path!r} is not a file")
    if not is_inside(os.path.realpath(source.parent), os.path.realpath(vault_root)):
        raise NoteOpError(f"{path!r} is not inside the vault")
    trash = vault_root / TRASH_FOLDER
    if os.path.islink(trash) or (trash.exists() and not trash.is_dir()):
        raise NoteOpError(f"{TRASH_FOLDER} in the vault is not a folder; nothing moved")
    try:
        trash.mkdir(exist_ok=True)
    except OSError as exc:
        raise NoteOpError(f"cannot make {TRASH_FOLDER} ({exc.strerror})") from None

    sides = sidecars_of(source.parent, source.name)  # <stem>.results[.<run>].md
    stem = unicodedata.normalize("NFC", source.name)[:-3]
    suffix = source.name[-3:]
    for number in range(MAX_TRIES):
        name = stem if number == 0 else f"{stem} {number}"
        target = trash / f"{name}{suffix}"
        side_targets = [trash / sidecar_renamed(side, name) for side in sides]
        if os.path.lexists(target) or any(os.path.lexists(t) for t in side_targets):
            continue
        try:
            move_no_replace(source, target)
        except NoteOpError:
            if os.path.lexists(target):  # taken in the same instant: the next number
                continue
            raise
        left = []
        for side, side_target in zip(sides, side_targets, strict=True):
            try:
                move_no_replace(source.parent / side, side_target)
            except NoteOpError as exc:
                left.append(f"{unicodedata.normalize('NFC', side)} ({exc})")
        if left:
            raise NoteOpError(
                f"moved the note to {TRASH_FOLDER}/{target.name}, but not its results "
                f"sidecar {'; '.join(left)}"
            )
        return f"{TRASH_FOLDER}/{target.name}"
    raise NoteOpError(f"{TRASH_FOLDER} holds too many notes named {stem!r}; nothing moved")
