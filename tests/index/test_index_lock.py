"""Issue 11, defect 19: deleting files in the index folder (``notebase.lock`` among them)
while one process rebuilds the index does not let a second writer in, and the first one
finishes cleanly. Trials over seeded stopping points, with the public API only."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from index_helpers import paths, write_note

from notebase.index import index_folder, open_index

NOTES = 40
SEED = 19

REBUILD_AND_PAUSE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from notebase.index import open_index

    pause_at = int(sys.argv[2])

    def progress(done, total):
        if done == pause_at:  # mid-rebuild, write lock held: wait to be told to go on
            print("paused", flush=True)
            sys.stdin.readline()

    index = open_index(Path(sys.argv[1]), on_message=lambda m: print("message", m, flush=True))
    stats = index.rebuild(progress)
    index.close()
    print("done", stats.notes, flush=True)
    """
)


def _pause_a_rebuild(vault: Path, pause_at: int) -> subprocess.Popen:
    writer = subprocess.Popen(
        [sys.executable, "-c", REBUILD_AND_PAUSE, str(vault), str(pause_at)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = writer.stdout.readline().strip()
    assert line == "paused", (line, writer.stderr.read() if writer.poll() is not None else "")
    return writer


def _finish(writer: subprocess.Popen) -> tuple[str, str]:
    try:
        out, err = writer.communicate("go\n", timeout=60)
    finally:
        writer.kill()
    assert writer.returncode == 0, err
    return out, err


def _delete_lock_files(folder: Path) -> list[str]:
    """What a person cleaning up might delete: the lock file (of any notebase version)."""
    deleted = []
    for path in folder.iterdir():
        if "lock" in path.name.lower():
            path.unlink()
            deleted.append(path.name)
    return deleted


@pytest.fixture
def many_notes(vault):
    for i in range(NOTES):
        write_note(vault, f"n{i:02}.md", f"메타러닝 노트 {i} 내용\n", title=f"n{i}")
    open_index(vault, on_message=lambda m: None).close()
    return vault


def test_a_second_writer_waits_although_the_lock_file_was_deleted(many_notes):
    writer = _pause_a_rebuild(many_notes, pause_at=NOTES // 2)
    try:
        _delete_lock_files(index_folder(many_notes))
        second = open_index(many_notes, on_message=lambda m: None, lock_timeout=0.3)
        try:
            write_note(many_notes, "late.md", "늦게 온 노트\n", title="late")
            from notebase.errors import UserError

            with pytest.raises(UserError, match="locked by another notebase process"):
                second.update()
        finally:
            second.close()
    finally:
        _finish(writer)


@pytest.mark.parametrize("trial", range(8))
def test_deleting_the_lock_mid_rebuild_never_lets_two_writers_in(many_notes, trial):
    rng = random.Random(SEED * 100 + trial)
    pause_at = rng.randrange(0, NOTES)
    second_rebuilds = rng.random() < 0.5
    writer = _pause_a_rebuild(many_notes, pause_at)
    messages: list[str] = []

    def on_message(text: str) -> None:
        messages.append(text)
        if "waiting" in text:  # blocked on the first writer's lock: let it finish
            messages.append("first writer: " + _finish(writer)[0].strip())

    try:
        _delete_lock_files(index_folder(many_notes))
        write_note(many_notes, "late.md", "늦게 온 메타러닝 노트\n", title="late")
        second = open_index(many_notes, on_message=on_message, lock_timeout=60)
        try:
            stats = second.rebuild() if second_rebuilds else second.update()
            found = paths(second.search("메타러닝", limit=100))
        finally:
            second.close()
    finally:
        if writer.poll() is None:
            _finish(writer)
    assert any("waiting" in m for m in messages), (pause_at, second_rebuilds, messages)
    assert f"first writer: done {NOTES}" in messages
    assert stats.notes == NOTES + 1
    assert sorted(found) == sorted([f"n{i:02}.md" for i in range(NOTES)] + ["late.md"])
    # A fresh process sees one consistent index, with no notice.
    later: list[str] = []
    again = open_index(many_notes, on_message=later.append)
    try:
        assert again.update().notes == NOTES + 1 and later == []
    finally:
        again.close()
