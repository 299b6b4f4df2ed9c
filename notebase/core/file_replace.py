"""Replacing a file's bytes inside the vault: every file notebase writes there goes through here
(notes, sidecars, plots). `notebase.core.note_writer` decides *what* to write; this module
decides *how*, and refuses what must not be written.

What it promises (tests: tests/core/test_writer_hardening.py, test_writer_concurrency.py):

- **Atomic.** The new bytes go to a temporary file in the same folder (``.notebase-tmp-`` and
  16 hex digits: a pattern only notebase uses, short enough beside any file name), are fsynced
  and take the file's name by one rename; the folder is fsynced after. A crash leaves the old
  file or the new one; a temporary file a killed process left is removed by the next write
  into that folder once it is `STALE_AFTER_S` old.
- **The vault is the boundary.** With ``vault_root`` given, the file's real path (every
  symlink resolved) must lie inside the vault's real path, or nothing is written. The folder is
  opened once and every later step works on that open folder, names opened with
  ``O_NOFOLLOW``; right before the rename the path is resolved again and must still lead to
  that folder and that file. A symlinked note whose target is inside the vault is written
  through the link (the link stays a link); one whose target is outside is not written.
- **Edits made meanwhile are not lost.** The caller hands in the bytes it read (`Current`);
  right before the rename the file must still hold exactly them (same inode, size, mtime,
  ctime, bytes), else nothing is written and the caller starts over. On Linux the rename is a
  ``renameat2(RENAME_EXCHANGE)``: afterwards the old file is still there under the temporary
  name, where no one opens it. It is kept only if no process holds it open for writing (a read
  lease is refused exactly then) and it still holds what was read; otherwise the exchange is
  undone (a writer that opened the new file by name meanwhile is waited for, and what it
  appended is carried over) and the caller starts over. When it is kept, a writer whose open
  found the old file before the exchange but counted only after that look is waited for too,
  and its line carried over (`_late_bytes`, `_carry`); a file rewritten by it instead is the
  newest version, and the swap is undone. An undo never swaps out a file another saver put
  in place of ours meanwhile (`_undo`). After that no write can reach the old file,
  so no edit is lost (where leases are off,
  ``fs.leases-enable=0``, or a file system has none, a write through a descriptor opened
  before the rename can still land in the old file after that last look). Elsewhere the
  rename is ``os.replace``, checked after the same way (the old content written back when it
  changed); there such a late write is lost too.
- **Owner, group and mode are kept**, and read-only files are not written: a file without
  the write bit for us (for root: without any write bit, since root may write anything),
  or in a folder without one, is refused. When the owner cannot be kept (not root) or the file
  has several hard links, it is written in place instead (overwrite, truncate, fsync): links,
  owner and extended attributes stay, but that write is not atomic -- a crash in the middle
  can leave the file half written -- and not guarded against a writer in the same instant.

One module (~450 lines): the checks and the renames must share one open folder and one open
file, and each step's reason to exist is the step before it.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import secrets
import stat
import time
from dataclasses import dataclass
from pathlib import Path

TEMP_PREFIX = ".notebase-tmp-"
_TEMP_NAME = re.compile(r"\.notebase-tmp-[0-9a-f]{16}")
STALE_AFTER_S = 10 * 60
"""A temporary file of ours this old is left over from a killed process (a write takes ms)."""

SETTLE_S = 2.0
"""How long an undone swap waits for a writer still holding our file to finish its write."""

_RENAME_NOREPLACE = 1
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class WriteRefused(Exception):
    """The file must not or cannot be written; the message says why, in one line."""


class Moved(Exception):
    """The path no longer leads where it did (renamed, swapped for a link): start over."""


# --------------------------------------------------------------------------- where


def is_inside(path: str, root: str) -> bool:
    """Whether real path ``path`` is ``root`` or lies under it (both from ``realpath``)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


@dataclass(slots=True)
class Place:
    """A file's folder, held open, and the file's name in it."""

    dir_fd: int
    name: str
    real: str
    """The file's real path when the folder was opened."""
    shown: Path
    """The path as the caller named it (may run through symlinks)."""
    label: str
    """How messages name the file: ``the note``, ``the sidecar`` ..."""
    busy: bool = False
    """Set when a write was undone because another process held the file open for writing."""

    def close(self) -> None:
        os.close(self.dir_fd)

    def __enter__(self) -> Place:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def unmoved(self) -> bool:
        """The path still resolves to this folder and name (checked right before a rename)."""
        try:
            if os.path.realpath(self.shown) != self.real:
                return False
            here, there = os.fstat(self.dir_fd), os.stat(os.path.dirname(self.real))
        except OSError:
            return False
        return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def open_place(path: Path, vault_root: Path | None = None, *, label: str = "the file") -> Place:
    """Open ``path``'s real folder. Raises WriteRefused when the real path leaves the vault
    or the folder cannot be opened, Moved when it changed while being opened."""
    real = os.path.realpath(path)
    root = os.path.realpath(vault_root) if vault_root is not None else None
    if root is not None and (real == root or not is_inside(real, root)):
        raise WriteRefused(f"{label} {Path(path).as_posix()} leads outside the vault (to {real})")
    try:
        dir_fd = os.open(os.path.dirname(real), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise WriteRefused(f"{label}'s folder cannot be opened ({exc.strerror})") from None
    place = Place(dir_fd, os.path.basename(real), real, Path(path), label)
    if not place.unmoved():
        place.close()
        raise Moved(real)
    return place


# --------------------------------------------------------------------------- what is there


@dataclass(slots=True)
class Current:
    """The file as it was read: an open descriptor on it, its status before the read, its bytes."""

    fd: int
    st: os.stat_result
    data: bytes

    def close(self) -> None:
        os.close(self.fd)


def read_current(place: Place) -> Current | None:
    """The file's bytes through the open folder (None when there is no file). Raises Moved
    when the name is now a symlink, WriteRefused when it is not a regular file or unreadable."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK  # a FIFO must not block
    try:
        fd = os.open(place.name, flags, dir_fd=place.dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Moved(place.real) from None
        raise WriteRefused(f"{place.label} cannot be read ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise WriteRefused(f"{place.label} is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise WriteRefused(f"{place.label} is not a regular file")
        return Current(fd, st, _read_all_at(fd))
    except OSError as exc:
        os.close(fd)
        raise WriteRefused(f"{place.label} cannot be read ({exc.strerror})") from None
    except BaseException:
        os.close(fd)
        raise


def writable(st: os.stat_result) -> bool:
    """Whether the permission bits let us write (root: any write bit; its override is not
    taken as the user's leave to change a file they made read-only)."""
    euid = os.geteuid()
    if euid == 0:
        return bool(st.st_mode & 0o222)
    if st.st_uid == euid:
        return bool(st.st_mode & stat.S_IWUSR)
    if st.st_gid == os.getegid() or st.st_gid in os.getgroups():
        return bool(st.st_mode & stat.S_IWGRP)
    return bool(st.st_mode & stat.S_IWOTH)


def _extra(fd: int, base: bytes) -> bytes | None:
    """What was added to the file behind ``fd`` since it held ``base``: ``b""`` when it still
    holds exactly ``base``, the appended bytes when it grew by appending, None otherwise."""
    now = _read_all_at(fd)
    if now == base:
        return b""
    return now[len(base) :] if now.startswith(base) else None


def _read_all_at(fd: int) -> bytes:
    chunks, offset = [], 0
    while chunk := os.pread(fd, 1 << 20, offset):
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _unchanged(current: Current, *, renamed: bool = False) -> bool:
    """The file still holds what was read: size, mtime and bytes; and its ctime (a chmod, a
    chown) unless we ``renamed`` it ourselves, which sets the ctime."""
    st, was = os.fstat(current.fd), current.st
    if (st.st_size, st.st_mtime_ns) != (was.st_size, was.st_mtime_ns):
        return False
    if not renamed and st.st_ctime_ns != was.st_ctime_ns:
        return False
    return _extra(current.fd, current.data) == b""


# --------------------------------------------------------------------------- writing


@functools.cache
def _renameat2():
    import ctypes  # only when writing: a few ms the CLI does not pay at start

    return ctypes, getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)


def _rename2(dir_fd: int, old: str, new: str, flags: int) -> bool:
    """``renameat2`` within one folder; False when the system or file system lacks it."""
    ctypes, function = _renameat2()
    if function is None:
        return False
    if function(dir_fd, os.fsencode(old), dir_fd, os.fsencode(new), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), new)


def rename_no_replace(source: Path, target: Path) -> bool:
    """``renameat2(RENAME_NOREPLACE)`` of ``source`` to ``target`` (paths, any folders of one
    file system): True when moved, False when the system or file system lacks it. Raises
    FileExistsError when ``target`` exists, OSError when the move fails."""
    return _rename2(_AT_FDCWD, os.fspath(source), os.fspath(target), _RENAME_NOREPLACE)


_next_clean: dict[tuple[str, int, int], float] = {}
"""Per folder (path, device, inode): when a look for stale temporary files is next due. A
temporary file made after a look is young at that look's time, so it cannot be stale before
`STALE_AFTER_S` later; 1,000 writes into a folder of 10,000 files list it once, not 1,000
times (6.8 s of a 10.7 s rename, measured)."""


def clean_stale_temps(dir_fd: int, folder: str = "") -> None:
    """Remove temporary files of ours in this folder older than `STALE_AFTER_S` (left by a
    killed process): only regular files, only names of our pattern. Looks again only when
    one it saw, or one made since, can have become stale (see `_next_clean`)."""
    now = time.time()
    try:
        st = os.fstat(dir_fd)
        key = (folder, st.st_dev, st.st_ino)
        if _next_clean.get(key, 0.0) > now:
            return
        limit, due = now - STALE_AFTER_S, now + STALE_AFTER_S
        with os.scandir(dir_fd) as entries:
            names = [e.name for e in entries if _TEMP_NAME.fullmatch(e.name)]
        for name in names:
            st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode):
                continue
            if st.st_mtime < limit:
                os.unlink(name, dir_fd=dir_fd)
            else:
                due = min(due, st.st_mtime + STALE_AFTER_S)
        _next_clean[key] = due
    except OSError:
        pass  # tidying up is a courtesy: never a reason not to write


def _new_temp(place: Place, data: bytes, like: os.stat_result | None) -> tuple[str, int, bool]:
    """A fsynced temporary file holding ``data`` with ``like``'s mode, owner and group (the
    umask's mode for a new file). Returns (name, fd, owner kept?)."""
    name = TEMP_PREFIX + secrets.token_hex(8)
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(name, flags, 0o600, dir_fd=place.dir_fd)
    try:
        owner_kept = True
        if like is None:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)
        else:
            mine = os.fstat(fd)
            if (mine.st_uid, mine.st_gid) != (like.st_uid, like.st_gid):
                try:
                    os.fchown(fd, like.st_uid, like.st_gid)
                except PermissionError:
                    owner_kept = False
            os.fchmod(fd, stat.S_IMODE(like.st_mode))  # after chown, which clears set-id bits
        _write_all(fd, data)
        # Kept open read-only from here: a read lease (see `_open_for_writing`) is refused
        # while any descriptor on the file, ours included, is open for writing.
        read_fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=place.dir_fd)
        if not os.path.samestat(os.fstat(read_fd), os.fstat(fd)):
            os.close(read_fd)
            raise OSError(errno.EEXIST, "temporary file replaced", name)
        os.close(fd)
        fd = read_fd
    except BaseException:
        os.close(fd)
        os.unlink(name, dir_fd=place.dir_fd)
        raise
    return name, fd, owner_kept


def _write_all(fd: int, data: bytes) -> None:
    """All of ``data`` from offset 0, then fsync."""
    view, offset = memoryview(data), 0
    while offset < len(view):
        offset += os.pwrite(fd, view[offset:], offset)
    os.fsync(fd)


def _fsync_folder(dir_fd: int) -> None:
    try:
        os.fsync(dir_fd)
    except OSError:
        pass  # not every file system lets a folder be fsynced


def replace(place: Place, data: bytes, current: Current | None, *, guard: bool = True) -> bool:
    """Give the file at ``place`` the bytes ``data``. ``current`` is the file as read (None:
    there was none). With ``guard``, the file must still be exactly ``current`` (see the
    module docstring); returns False, having written nothing, when it is not -- read again and
    start over. Raises WriteRefused (one line) when the file or its folder is read-only or
    the write fails; nothing is left behind then."""
    label = place.label
    if current is not None and not writable(current.st):
        raise WriteRefused(f"{label} is read-only")
    try:
        if not writable(os.fstat(place.dir_fd)):
            raise WriteRefused(f"{label}'s folder is read-only")
        clean_stale_temps(place.dir_fd, os.path.dirname(place.real))
        if current is not None and current.st.st_nlink > 1:
            return _in_place(place, data, current, guard)
        temp, temp_fd, owner_kept = _new_temp(place, data, current.st if current else None)
    except OSError as exc:
        raise WriteRefused(f"{label} cannot be written ({exc.strerror})") from None
    try:
        if not owner_kept:
            os.unlink(temp, dir_fd=place.dir_fd)
            temp = None
            return _in_place(place, data, current, guard)
        done = _swap_in(place, temp, temp_fd, data, current, guard)
        if done:
            _fsync_folder(place.dir_fd)
        return done
    except OSError as exc:
        raise WriteRefused(f"{label} cannot be written ({exc.strerror})") from None
    finally:
        os.close(temp_fd)
        if temp is not None:
            try:
                os.unlink(temp, dir_fd=place.dir_fd)
            except FileNotFoundError:
                pass  # renamed into place


def _still_there(place: Place, current: Current | None, guard: bool) -> bool:
    """Right before the rename: the path leads here, and the file is what was read."""
    if not place.unmoved():
        return False
    try:
        now = os.stat(place.name, dir_fd=place.dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return current is None
    if current is None or (now.st_dev, now.st_ino) != (current.st.st_dev, current.st.st_ino):
        return False
    return not guard or _unchanged(current)


def _swap_in(
    place: Place, temp: str, temp_fd: int, data: bytes, current: Current | None, guard: bool
) -> bool:
    dir_fd, name = place.dir_fd, place.name
    if not _still_there(place, current, guard):
        return False
    if current is None:  # a new file: never over one that appeared meanwhile
        try:
            if not _rename2(dir_fd, temp, name, _RENAME_NOREPLACE):
                os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except FileExistsError:
            return False
        return True
    if not guard:
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        return True
    if _rename2(dir_fd, temp, name, _RENAME_EXCHANGE):
        # The old file now sits under the temporary name, where nobody opens it: it must be the
        # one we read, open for writing nowhere (no later write can reach it), and as read.
        old = os.stat(temp, dir_fd=dir_fd, follow_symlinks=False)
        same_file = (old.st_dev, old.st_ino) == (current.st.st_dev, current.st.st_ino)
        place.busy = same_file and _open_for_writing(current.fd)
        if same_file and not place.busy and _unchanged(current, renamed=True):
            late = _late_bytes(current)
            if late is not None:
                if late:
                    _carry(late, temp_fd, place)  # to our file: the note now
                return True  # the caller's finally unlinks the old file
            # Rewritten (not appended to) after the look: that version is the newest.
        _undo(place, temp, temp_fd, data, current)
        return False
    os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    if _unchanged(current, renamed=True):
        return True
    # Written to in the window: put the old file's content (and anything appended to ours) back.
    added = _extra(temp_fd, data)
    if added is not None:
        restored, restored_fd, _ = _new_temp(place, _read_all_at(current.fd) + added, current.st)
        os.close(restored_fd)
        try:
            os.replace(restored, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except OSError:
            os.unlink(restored, dir_fd=dir_fd)
            raise
    return False


def _open_for_writing(fd: int) -> bool:
    """Whether any process holds the file behind ``fd`` (ours, read-only) open for writing.
    Linux refuses a read lease exactly then; the lease is dropped at once, and is only taken
    on a file no path leads to but our temporary name. An open that had found the file
    before it was moved there can still break the lease in that instant: the break is then
    announced with SIGURG, ignored by default, instead of SIGIO, whose default ends the
    process. False where leases are not to be had (another system, another owner without
    CAP_LEASE, leases disabled)."""
    try:
        import fcntl
        import signal

        fcntl.fcntl(fd, fcntl.F_SETSIG, signal.SIGURG)
        fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_RDLCK)
    except (ImportError, AttributeError):
        return False
    except OSError as exc:
        return exc.errno == errno.EAGAIN
    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    return False


def _settle(fd: int) -> None:
    """Wait (at most `SETTLE_S`) until no process holds the file behind ``fd`` open for
    writing. Only for a file no path leads to any more: a writer still holding it opened it
    by name while it was in place, and its line must be read before the file is dropped.
    Looks every 0.1 ms at most: the sooner its line is carried over, the less likely that
    the same writer's next line reaches the note first."""
    deadline = time.monotonic() + SETTLE_S
    pause = 0.0
    while _open_for_writing(fd) and time.monotonic() < deadline:
        time.sleep(pause)
        pause = min(pause * 2 or 0.00002, 0.0001)


def _late_bytes(current: Current) -> bytes | None:
    """Once the old file is out of place: what a writer added to it since we read it (b""
    when nothing; None when it rewrote the file). Its open may have found the old file before the
    exchange and counted as a writer only after the look (a window inside its open call):
    it is waited for, so its line is read before the old file is dropped."""
    _settle(current.fd)
    return _extra(current.fd, current.data)


def _undo(place: Place, temp: str, temp_fd: int, data: bytes, current: Current) -> None:
    """Put the old file back in place of ours, keeping every line written meanwhile: a
    writer that opened ours by name in that instant is waited for and its line carried over
    to the old file; if ours was rewritten meanwhile, that version stays. When the name no
    longer leads to our file, another program (another notebase) replaced it after us with a
    newer version that holds ours: nothing is swapped, and only what a writer added to the
    old file since we read it goes on to the note."""
    dir_fd, name = place.dir_fd, place.name
    if not _leads_to(place, temp_fd):
        added = _late_bytes(current)
        if added and not _already_there(place, current.data, added):
            _carry(added, current.fd, place)
        return
    _rename2(dir_fd, temp, name, _RENAME_EXCHANGE)  # theirs back in place
    _settle(temp_fd)  # a writer that opened ours meanwhile finishes its line first
    added = _extra(temp_fd, data)
    if added is None:  # our file was rewritten meanwhile: that is the newest version
        _rename2(dir_fd, temp, name, _RENAME_EXCHANGE)
    elif added:  # a line appended to our file meanwhile goes on with theirs
        _carry(added, current.fd, place)


def _already_there(place: Place, before: bytes, added: bytes) -> bool:
    """Whether the note now holds ``added`` right after the end of ``before``, as in the old
    file: a saver that replaced our file may have read the old one after the line came."""
    try:
        fd = os.open(place.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=place.dir_fd)
    except OSError:
        return False
    try:
        return before[-256:] + added in _read_all_at(fd)
    finally:
        os.close(fd)


def _leads_to(place: Place, fd: int) -> bool:
    """Whether the file's name still leads to the file behind ``fd``."""
    try:
        there = os.stat(place.name, dir_fd=place.dir_fd, follow_symlinks=False)
    except OSError:
        return False
    return os.path.samestat(there, os.fstat(fd))


def _carry(added: bytes, fd: int, place: Place) -> None:
    """Append ``added`` to the note: whatever file its name leads to now (another saver may
    have put a newer version there), or, when the name is gone (renamed meanwhile), the file
    behind ``fd`` (ours or the old note), reopened through ``/proc``. A failure here loses
    only that line: the write it follows stands, so it is not raised."""
    try:
        _append(place, added)
        return
    except FileNotFoundError:
        pass
    except OSError:
        return
    try:
        target = os.open(f"/proc/self/fd/{fd}", os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
    except OSError:
        return
    try:
        _write_appending(target, added)
    except OSError:
        pass
    finally:
        os.close(target)


def _append(place: Place, added: bytes) -> None:
    """Append ``added`` to whatever file the name leads to now."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(place.name, flags, dir_fd=place.dir_fd)
    try:
        _write_appending(fd, added)
    finally:
        os.close(fd)


def _write_appending(fd: int, added: bytes) -> None:
    view = memoryview(added)
    while view:  # a short write (a full disk, a signal) must not drop the rest
        view = view[os.write(fd, view) :]


def _in_place(place: Place, data: bytes, current: Current, guard: bool) -> bool:
    """Overwrite the file itself (hard links, or an owner we cannot give a new file): not
    atomic; see the module docstring."""
    flags = os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(place.name, flags, dir_fd=place.dir_fd)
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != (current.st.st_dev, current.st.st_ino):
            return False
        if not _still_there(place, current, guard):
            return False
        _write_all(fd, data)
        os.ftruncate(fd, len(data))
        os.fsync(fd)
        return True
    finally:
        os.close(fd)


def atomic_write(
    path: Path, data: bytes, *, vault_root: Path | None = None, label: str = "the file"
) -> None:
    """Replace ``path``'s content (or create it), whatever it holds now: for files notebase
    owns, such as plots. Raises WriteRefused (one line) when it must not or cannot."""
    for _ in range(5):
        try:
            with open_place(path, vault_root, label=label) as place:
                current = read_current(place)
                try:
                    if replace(place, data, current, guard=False):
                        return
                finally:
                    if current is not None:
                        current.close()
        except Moved:
            continue
    raise WriteRefused(f"{label} {Path(path).as_posix()} kept moving while it was written")


def replace_if_holding(
    path: Path,
    before: bytes | None,
    data: bytes,
    *,
    vault_root: Path | None = None,
    label: str = "the file",
) -> str:
    """Give ``path`` the bytes ``data`` only while it holds exactly ``before`` (None: only
    while there is no file), checked and written in one `open_place`; tried once, never
    again on newer bytes (the caller's edit was made on ``before``). Returns ``"written"``,
    or why not: ``"gone"`` (no file where ``before`` was expected), ``"exists"`` (a file where
    none was), ``"changed"`` (other bytes), ``"raced"`` (changed in the instant of the write:
    `replace` wrote nothing), ``"moved"`` (the path led elsewhere meanwhile). Raises
    WriteRefused (one line) when it must not or cannot be written."""
    try:
        with open_place(path, vault_root, label=label) as place:
            current = read_current(place)
            try:
                if current is None and before is not None:
                    return "gone"
                if current is not None and before is None:
                    return "exists"
                if current is not None and current.data != before:
                    return "changed"
                return "written" if replace(place, data, current) else "raced"
            finally:
                if current is not None:
                    current.close()
    except Moved:
        return "moved"
