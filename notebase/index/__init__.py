"""The search index adapter: whoosh behind ``notebase.core.ports.NoteIndex``.

Use ``open_index(vault_root)``; it returns an object with ``update()``, ``update_paths()``,
``search()``, ``rebuild()`` and ``close()``. Importing this package does not import whoosh;
``open_index`` does.

Engine: ``whoosh-reloaded`` 2.7.5, the maintained fork of whoosh 2.7.4 with the same
``import whoosh`` API; unlike 2.7.4 it imports cleanly on Python 3.12+ (no SyntaxWarnings,
works under ``-W error``).
"""

from __future__ import annotations

import functools
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING

# whoosh-reloaded (whoosh/reading.py) takes one decorator from the `cached_property` backport,
# whose import pulls in asyncio: ~13 ms of a 200 ms `notebase search` process. The standard
# library's `functools.cached_property` is the same descriptor; nothing else here needs the
# backport (pip: required by Whoosh-Reloaded alone).
if "cached_property" not in sys.modules:
    _standard = types.ModuleType("cached_property")
    _standard.cached_property = functools.cached_property
    sys.modules["cached_property"] = _standard

if TYPE_CHECKING:
    from notebase.config import VaultConfig
    from notebase.index.whoosh_index import MessageCallback, WhooshNoteIndex

__all__ = ["open_index", "index_folder"]


def index_folder(vault_root: Path) -> Path:
    """Where the index of ``vault_root`` lives: ``<vault>/.notebase/index``."""
    return Path(vault_root) / ".notebase" / "index"


def open_index(
    vault_root: Path,
    config: VaultConfig | None = None,
    *,
    on_message: MessageCallback | None = None,
    lock_timeout: float | None = None,
    verify: bool = False,
) -> WhooshNoteIndex:
    """Open (creating or rebuilding as needed) the index of ``vault_root``.

    It is not brought up to date here: call ``update()``. ``on_message`` receives one-line
    notices (rebuilding a damaged index, waiting for another process's lock); the default
    prints them on stderr. ``verify`` reads every index file to check it is the one
    written (``notebase index``); otherwise only their sizes are checked. Raises
    ``IndexFolderError`` (a ``UserError``) when ``.notebase/index`` is a symbolic link or
    a folder holding files notebase did not write.
    """
    from notebase.index.whoosh_index import DEFAULT_LOCK_TIMEOUT, WhooshNoteIndex

    return WhooshNoteIndex(
        vault_root,
        config,
        on_message=on_message,
        lock_timeout=DEFAULT_LOCK_TIMEOUT if lock_timeout is None else lock_timeout,
        verify=verify,
    )
