"""Whose folder ``<vault>/.notebase/index`` is, and what in it notebase may delete.

The index is a cache that notebase wipes and rewrites, so it must never be anything else:

- a folder notebase creates gets a marker file (``MARKER_NAME``) before anything else;
- a folder without the marker is adopted only when every file in it has a name notebase
  writes (an index made before the marker existed); one holding any other file is
  *foreign* and refused, as is a symbolic link at ``.notebase`` or ``.notebase/index``
  (the index stays inside the vault and is never written through a link);
- wiping the index deletes only names notebase writes (``is_ours``); anything else a
  person put there later stays.

A refusal is an ``IndexFolderError`` (a ``UserError``: one line, exit 2 in the CLI).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from notebase.errors import UserError

MARKER_NAME = "notebase-index.txt"
MARKER_TEXT = (
    "This folder is notebase's search index of the vault two levels up: a cache, safe to "
    "delete.\nnotebase deletes and rewrites the files it wrote here, and only those.\n"
)
OWN_NAMES = frozenset(
    {
        MARKER_NAME,
        MARKER_NAME + ".tmp",
        "manifest.json",
        "manifest.json.tmp",
        "manifest.log",
        "segments.json",
        "segments.json.tmp",
        "notebase.lock",
    }
)
"""Our files besides whoosh's, whose names all start ``MAIN_``, ``_MAIN_`` or ``MAIN.``
(segments, tables of contents and their temporary copies, its write lock, its temporary
folder ``MAIN.tmp``)."""
_WHOOSH_PREFIXES = ("MAIN_", "_MAIN_", "MAIN.")


class IndexFolderError(UserError):
    """The index folder is a link, not a folder, or holds files notebase did not write."""


def is_ours(name: str) -> bool:
    """True for a file name notebase (or whoosh for it) writes in the index folder."""
    return name in OWN_NAMES or name.startswith(_WHOOSH_PREFIXES)


def claim(folder: Path) -> None:
    """Make sure ``folder`` (``<vault>/.notebase/index``) is ours, creating it and its
    marker if missing. Raises ``IndexFolderError`` for a link or a foreign folder."""
    folder = Path(folder)
    dot_folder = folder.parent
    for path in (dot_folder, folder):
        if path.is_symlink():
            raise IndexFolderError(
                f"{path} is a symbolic link; notebase keeps its search index inside the vault "
                "and does not write through links (remove the link to let notebase create "
                "the folder)"
            )
        if path.exists() and not path.is_dir():
            raise IndexFolderError(f"{path} is not a folder; move it away to use the search index")
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        dot_folder.mkdir(exist_ok=True)
        folder.mkdir(exist_ok=True)
        names = os.listdir(folder)
    if MARKER_NAME in names:
        return
    foreign = sorted(name for name in names if not is_ours(name))
    if foreign:
        shown = ", ".join(repr(name) for name in foreign[:3])
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise IndexFolderError(
            f"{folder} holds files notebase did not write ({shown}{more}); notebase will not "
            "use it for its search index: move them elsewhere, or delete the folder"
        )
    _write_marker(folder)


def _write_marker(folder: Path) -> None:
    tmp = folder / (MARKER_NAME + ".tmp")
    tmp.write_text(MARKER_TEXT, encoding="utf-8")
    os.replace(tmp, folder / MARKER_NAME)


def wipe(folder: Path) -> None:
    """Delete what notebase wrote in ``folder`` except the marker; keep anything else."""
    for entry in os.scandir(folder):
        if entry.name == MARKER_NAME or not is_ours(entry.name):
            continue
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.remove(entry.path)
        except OSError:
            pass
