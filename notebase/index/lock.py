"""The write lock every notebase process takes before changing a vault's index.

It is an ``flock`` on the index folder itself, held through an open descriptor of that
folder: no file in it can be deleted to break the lock. (The lock used to be a file,
``notebase.lock``; deleting it during a rebuild let a second writer in, which wiped the
first one's files under it: "seek of closed file".) Removing the whole folder does not
let two writers share one index either: the next writer locks the new folder, and the
old one is gone with everything the first writer was writing.

Where a folder cannot be locked (a file system without ``flock`` on folders, such as
some NFS mounts) the lock falls back to ``flock`` on ``notebase.lock`` and checks, once
it holds it, that the name still refers to the file it locked. On Windows, where an open
file cannot be deleted, that file is locked with ``msvcrt`` (through whoosh's FileLock).

Held across read-manifest / write-index / write-manifest so two processes never
interleave. A process that finds it held says so once and waits up to ``timeout``
seconds, then gives up with ``IndexBusyError`` (exit 2 in the CLI).
"""

from __future__ import annotations

import errno
import os
import time
from collections.abc import Callable
from pathlib import Path

from notebase.errors import UserError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

LOCK_FILE_NAME = "notebase.lock"
"""The fallback lock file (and the lock of notebase versions before the folder lock)."""
WAITING = "index is being updated by another notebase process, waiting..."


class IndexBusyError(UserError):
    """Another notebase process kept the index locked for longer than we would wait."""


class FolderLock:
    """An exclusive, non-reentrant lock on ``folder`` (created if missing). Use
    ``acquire()`` / ``release()``; the descriptor is closed on release."""

    POLL_SECONDS = 0.05

    def __init__(self, folder: Path, timeout: float, message: Callable[[str], None]) -> None:
        self.folder = Path(folder)
        self.timeout = timeout
        self.message = message
        self._fd: int | None = None
        self._file_lock = None  # the Windows fallback

    @property
    def held(self) -> bool:
        return self._fd is not None or self._file_lock is not None

    def acquire(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        deadline = None
        while not self._try_once():
            if deadline is None:
                self.message(WAITING)
                deadline = time.monotonic() + self.timeout
            if time.monotonic() >= deadline:
                raise IndexBusyError(
                    f"the search index is still locked by another notebase process after "
                    f"{self.timeout:g} s ({self.folder}); try again when it has finished"
                )
            time.sleep(self.POLL_SECONDS)

    def _try_once(self) -> bool:
        if fcntl is None:
            return self._try_windows()
        flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(self.folder, flags | os.O_CLOEXEC)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EBADF, errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL):
                raise
            return self._try_file()  # a file system that cannot lock a folder
        return self._keep_if_current(fd, self.folder)

    def _try_file(self) -> bool:
        path = self.folder / LOCK_FILE_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        return self._keep_if_current(fd, path)

    def _keep_if_current(self, fd: int, path: Path) -> bool:
        """Keep the lock on ``fd`` if ``path`` still names what it locked; else (replaced
        or removed meanwhile) let go and report a miss, so the next try locks the new one."""
        try:
            now = os.stat(path, follow_symlinks=False)
        except FileNotFoundError:
            now = None
        held = os.fstat(fd)
        if now is None or (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
            os.close(fd)
            if now is None:
                self.folder.mkdir(parents=True, exist_ok=True)
            return False
        self._fd = fd
        return True

    def _try_windows(self) -> bool:
        from whoosh.util.filelock import FileLock

        lock = FileLock(str(self.folder / LOCK_FILE_NAME))
        if not lock.acquire(blocking=False):
            return False
        self._file_lock = lock
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor releases the flock
            self._fd = None
        if self._file_lock is not None:
            self._file_lock.release()
            self._file_lock = None
