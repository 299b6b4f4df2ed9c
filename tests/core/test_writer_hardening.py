"""Issue 11: the note writer against hostile files and folders (defects 3, 4, 7, 14, 20).

Owner and hard links, read-only notes and folders, symlinks out of the vault (placed before or
swapped in during the write), names near the 255-byte limit, a note that became a folder,
and temporary files left by a killed writer.
Results are never lost: the note, else its sidecar, else the caller's fallback file.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import time

import pytest
from results_block_helpers import delete_block_lines, korean_block  # in tests/

import notebase.core.file_replace as file_replace
from notebase.core.file_replace import STALE_AFTER_S, WriteRefused, atomic_write
from notebase.core.note_writer import sidecar_path, write_block

NOTE = "# 노트\n\n## 질문\n\n1. 메모리는? [[experiments/meta-cost]]\n\n## 출처\n\n- 없음\n"
NOBODY = 65534
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give files away")


def write(note, vault=None, run="r1", **kwargs):
    return write_block(note, lambda data: korean_block(run=run), vault_root=vault, **kwargs)


@pytest.fixture
def vault(tmp_path):
    root = tmp_path / "vault"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    return root


def outside_state(tmp_path):
    folder = tmp_path / "outside"
    return sorted((p.name, p.read_bytes()) for p in folder.iterdir())


# --------------------------------------------------------------------------- 3: owner, links


@root_only
def test_owner_group_and_mode_are_kept(vault):
    note = vault / "남의 노트.md"
    note.write_bytes(NOTE.encode())
    os.chown(note, NOBODY, NOBODY)
    os.chmod(note, 0o640)
    before = note.stat()
    assert write(note, vault).status == "written"
    after = note.stat()
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (NOBODY, NOBODY, 0o640)
    assert after.st_ino != before.st_ino  # still an atomic replace


def test_hard_linked_note_is_written_in_place(vault):
    note = vault / "노트.md"
    note.write_bytes(NOTE.encode())
    twin = vault / "다른 이름.md"
    os.link(note, twin)
    inode = note.stat().st_ino
    assert write(note, vault).status == "written"
    assert note.stat().st_ino == inode and note.stat().st_nlink == 2
    assert twin.read_bytes() == note.read_bytes() != NOTE.encode()
    assert delete_block_lines(twin.read_bytes(), "meta-cost") == NOTE.encode()
    assert write(note, vault, run="r2").status == "written"  # shorter or longer: truncated right
    assert delete_block_lines(twin.read_bytes(), "meta-cost") == NOTE.encode()
    assert sorted(p.name for p in vault.iterdir()) == ["노트.md", "다른 이름.md"]


@root_only
def test_an_owner_that_cannot_be_kept_means_writing_in_place(vault, monkeypatch):
    note = vault / "노트.md"
    note.write_bytes(NOTE.encode())
    os.chown(note, NOBODY, NOBODY)
    inode = note.stat().st_ino

    def refuse(*args):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(file_replace.os, "fchown", refuse)
    assert write(note, vault).status == "written"
    assert (note.stat().st_ino, note.stat().st_uid) == (inode, NOBODY)
    assert delete_block_lines(note.read_bytes(), "meta-cost") == NOTE.encode()
    assert sorted(p.name for p in vault.iterdir()) == ["노트.md"]


# --------------------------------------------------------------------------- 4: read-only


def test_read_only_note_is_not_written(vault):
    note = vault / "읽기 전용.md"
    note.write_bytes(NOTE.encode())
    os.chmod(note, 0o444)
    outcome = write(note, vault)
    assert outcome.status == "sidecar" and outcome.reason == "the note is read-only"
    assert note.read_bytes() == NOTE.encode() and stat.S_IMODE(note.stat().st_mode) == 0o444
    assert "run=r1" in sidecar_path(note).read_text()


def test_note_made_read_only_during_the_write_is_not_written(vault):
    note = vault / "노트.md"
    note.write_bytes(NOTE.encode())

    def make(data):
        os.chmod(note, 0o444)  # between our read and our rename
        return korean_block()

    outcome = write_block(note, make, vault_root=vault)
    assert outcome.status == "sidecar" and outcome.reason == "the note is read-only"
    assert note.read_bytes() == NOTE.encode()


# --------------------------------------------------------------------------- 7: the vault


def test_a_sidecar_link_out_of_the_vault_is_not_followed(vault, tmp_path):
    secret = tmp_path / "outside" / "secret.md"
    secret.write_bytes(b"keep me\n")
    note = vault / "x.md"
    note.write_bytes(b"<!-- notebase:results experiment=meta-cost --> broken\n")  # sidecar
    sidecar_path(note).symlink_to(secret)
    outcome = write(note, vault, run="r7")
    assert outcome.status == "sidecar" and outcome.written_to == vault / "x.results.r7.md"
    assert "run=r7" in outcome.written_to.read_text()
    assert outside_state(tmp_path) == [("secret.md", b"keep me\n")]
    assert sidecar_path(note).is_symlink()


def test_a_note_linked_out_of_the_vault_is_read_not_written(vault, tmp_path):
    target = tmp_path / "outside" / "real.md"
    target.write_bytes(NOTE.encode())
    link = vault / "link.md"
    link.symlink_to(target)
    seen = []
    outcome = write_block(link, lambda data: seen.append(data) or korean_block(), vault_root=vault)
    assert seen == [NOTE.encode()]  # read for the block's answers
    assert outcome.status == "sidecar" and "leads outside the vault" in outcome.reason
    assert outcome.written_to == vault / "link.results.md"
    assert outside_state(tmp_path) == [("real.md", NOTE.encode())]


def test_a_note_linked_inside_the_vault_is_written_through_the_link(vault):
    (vault / "진짜").mkdir()
    real = vault / "진짜" / "노트.md"
    real.write_bytes(NOTE.encode())
    link = vault / "링크.md"
    link.symlink_to(os.path.relpath(real, vault))
    assert write(link, vault).status == "written"
    assert link.is_symlink() and b"run=r1" in real.read_bytes()


def test_a_note_swapped_for_a_link_during_the_write(vault, tmp_path):
    target = tmp_path / "outside" / "real.md"
    target.write_bytes(b"outside\n")
    note = vault / "노트.md"
    note.write_bytes(NOTE.encode())
    calls = []

    def make(data):
        calls.append(data)
        if len(calls) == 1:
            note.unlink()
            note.symlink_to(target)
        return korean_block()

    outcome = write_block(note, make, vault_root=vault)
    assert outcome.status == "sidecar" and "leads outside the vault" in outcome.reason
    assert outside_state(tmp_path) == [("real.md", b"outside\n")]


def test_a_folder_swapped_for_a_link_during_the_write(vault, tmp_path):
    (vault / "sub").mkdir()
    note = vault / "sub" / "노트.md"
    note.write_bytes(NOTE.encode())
    calls = []

    def make(data):
        calls.append(data)
        if len(calls) == 1:
            (vault / "sub").rename(vault / "sub-old")
            (vault / "sub").symlink_to(tmp_path / "outside")
            (tmp_path / "outside" / "노트.md").write_bytes(NOTE.encode())
        return korean_block()

    outcome = write_block(note, make, vault_root=vault, fallback=vault / "runs" / "r1.md")
    assert outcome.status == "not-written" and "leads outside the vault" in outcome.reason
    assert outside_state(tmp_path) == [("노트.md", NOTE.encode())]
    assert (vault / "sub-old" / "노트.md").read_bytes() == NOTE.encode()
    assert sorted(p.name for p in (vault / "sub-old").iterdir()) == ["노트.md"]


def test_a_linked_attachments_folder_gets_no_plot(vault, tmp_path):
    (vault / "attachments").symlink_to(tmp_path / "outside")
    with pytest.raises(WriteRefused, match="leads outside the vault") as info:
        atomic_write(vault / "attachments" / "plot.png", b"\x89PNG", vault_root=vault)
    assert "\n" not in str(info.value)
    assert outside_state(tmp_path) == []
    atomic_write(vault / "plot.png", b"\x89PNG", vault_root=vault)  # inside: written
    assert (vault / "plot.png").read_bytes() == b"\x89PNG"


# --------------------------------------------------------------------------- 14: never lost


def test_read_only_folder_falls_back_beside_the_run_record(vault):
    (vault / "잠김").mkdir()
    note = vault / "잠김" / "노트.md"
    note.write_bytes(NOTE.encode())
    os.chmod(vault / "잠김", 0o555)
    fallback = vault / "runs" / "r1.results.md"
    (vault / "runs").mkdir()
    try:
        outcome = write(note, vault, fallback=fallback)
        assert outcome.status == "not-written" and outcome.written_to == fallback
        assert outcome.reason.startswith("the note's folder is read-only")
        assert str(fallback) in outcome.reason and "\n" not in outcome.reason
        assert "run=r1" in fallback.read_text()
        assert sorted(p.name for p in (vault / "잠김").iterdir()) == ["노트.md"]
        # Without a fallback the outcome still says why, in one line, and nothing raises.
        outcome = write(note, vault)
        assert outcome.status == "not-written" and outcome.written_to is None
        assert "sidecar" in outcome.reason and "\n" not in outcome.reason
    finally:
        os.chmod(vault / "잠김", 0o755)
    assert note.read_bytes() == NOTE.encode()


def test_read_only_file_system_is_a_reason_not_a_traceback(vault, monkeypatch):
    note = vault / "노트.md"
    note.write_bytes(NOTE.encode())
    real_open = os.open

    def read_only_fs(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(file_replace.os, "open", read_only_fs)
    outcome = write(note, vault)
    assert outcome.status == "not-written"
    assert outcome.reason.startswith("the note cannot be written (Read-only file system)")
    assert note.read_bytes() == NOTE.encode()


def test_long_file_names(vault):
    note = vault / ("가" * 80 + ".md")  # 243 bytes
    note.write_bytes(NOTE.encode())
    assert write(note, vault).status == "written"
    longest = vault / ("나" * 84 + ".md")  # 255 bytes: no sidecar name fits
    longest.write_bytes(b"<!-- notebase:results experiment=meta-cost --> broken\n")
    outcome = write(longest, vault, fallback=vault / "r1.results.md")
    assert outcome.status == "not-written" and "File name too long" in outcome.reason
    assert "run=r1" in (vault / "r1.results.md").read_text()


def test_a_note_replaced_by_a_folder(vault):
    note = vault / "노트.md"
    note.mkdir()
    outcome = write(note, vault)
    assert outcome.status == "sidecar" and outcome.reason == "the note is a folder, not a file"
    assert "run=r1" in sidecar_path(note).read_text()


def test_a_note_replaced_by_a_fifo_does_not_hang(vault):
    note = vault / "노트.md"
    os.mkfifo(note)

    def hung(*_):
        raise TimeoutError("the write blocked on the FIFO")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(10)
    try:
        outcome = write(note, vault)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert outcome.status == "sidecar" and outcome.reason == "the note is not a regular file"


def test_a_missing_folder(vault):
    outcome = write(vault / "없는 폴더" / "노트.md", vault, fallback=vault / "r1.md")
    assert outcome.status == "not-written" and "(No such file or directory)" in outcome.reason
    assert "run=r1" in (vault / "r1.md").read_text()


# --------------------------------------------------------------------------- 20: temp files


def test_only_stale_temp_files_of_ours_are_removed(vault):
    old = time.time() - STALE_AFTER_S - 60
    names = {
        "stale": ".notebase-tmp-0123456789abcdef",
        "fresh": ".notebase-tmp-fedcba9876543210",
        "not-our-pattern": ".notebase-tmp-notours",
        "old-style": ".노트.md.abcd1234.tmp",
    }
    for name in names.values():
        (vault / name).write_bytes(b"x")
        if name != names["fresh"]:
            os.utime(vault / name, (old, old))
    (vault / "sub").mkdir()
    (vault / "sub" / names["stale"]).write_bytes(b"x")  # another folder: not touched
    os.utime(vault / "sub" / names["stale"], (old, old))
    link = vault / ".notebase-tmp-aaaaaaaaaaaaaaaa"
    link.symlink_to(vault / "sub" / names["stale"])
    os.utime(link, (old, old), follow_symlinks=False)
    note = vault / "노트.md"
    note.write_bytes(NOTE.encode())
    assert write(note, vault).status == "written"
    left = {p.name for p in vault.iterdir()}
    assert names["stale"] not in left
    assert {names["fresh"], names["not-our-pattern"], names["old-style"], link.name} <= left
    assert (vault / "sub" / names["stale"]).exists()


def test_a_writer_killed_mid_write_leaves_a_temp_that_the_next_write_removes(vault):
    note = vault / "노트.md"
    note.write_bytes(NOTE.encode())
    reached, proceed = os.pipe(), os.pipe()
    pid = os.fork()
    if pid == 0:  # the writer: stops inside the write, after the temp file is made
        try:
            real_fsync = os.fsync

            def fsync_then_wait(fd):
                real_fsync(fd)
                os.write(reached[1], b"x")
                os.read(proceed[0], 1)  # until killed

            file_replace.os.fsync = fsync_then_wait
            write(note, vault)
        finally:
            os._exit(0)
    os.read(reached[0], 1)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    for fd in (*reached, *proceed):
        os.close(fd)
    temps = [p for p in vault.iterdir() if p.name.startswith(".notebase-tmp-")]
    assert len(temps) == 1 and note.read_bytes() == NOTE.encode()
    assert write(note, vault).status == "written"  # too young to be stale: kept
    assert temps[0].exists()
    old = time.time() - STALE_AFTER_S - 1
    os.utime(temps[0], (old, old))
    file_replace._next_clean.clear()  # its age is faked: as the next process would, look again
    assert write(note, vault, run="r2").status == "written"
    assert sorted(p.name for p in vault.iterdir()) == ["노트.md"]


def test_a_folder_is_listed_for_stale_temps_once_while_none_can_be_stale(vault, monkeypatch):
    """Many writes into one folder (a rename rewriting a thousand notes) list it once."""
    listed = []
    real_scandir = os.scandir
    file_replace._next_clean.clear()

    def scandir(path):
        listed.append(path)
        return real_scandir(path)

    monkeypatch.setattr(file_replace.os, "scandir", scandir)
    for index in range(5):
        note = vault / f"노트 {index}.md"
        note.write_bytes(NOTE.encode())
        assert write(note, vault).status == "written"
    assert len(listed) == 1
