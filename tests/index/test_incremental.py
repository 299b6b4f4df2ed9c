"""The index follows the vault: only changed notes are re-read; deletions, renames and
edits show in results; a damaged index is rebuilt; two processes never write at once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest
from index_helpers import paths, write_note

from notebase.config import VaultConfig
from notebase.core.vault_files import iter_note_files
from notebase.index import index_folder
from notebase.index.whoosh_index import IndexBusyError, scan_note_files


def _bump_mtime(path, seconds: int = 5) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + seconds * 1_000_000_000))


def test_second_update_reads_nothing(vault, open_vault_index):
    write_note(vault, "a.md", "첫 번째 노트\n", title="a")
    write_note(vault, "sub/b.md", "두 번째 노트\n", title="b")
    index = open_vault_index()
    first = index.update()
    assert (first.notes, first.added, first.updated, first.removed) == (2, 2, 0, 0)
    second = index.update()
    assert (second.notes, second.added, second.updated, second.removed) == (2, 0, 0, 0)


def test_edited_note_is_found_by_its_new_words_only(vault, open_vault_index):
    note = write_note(vault, "a.md", "원래 내용은 사과였다.\n", title="a")
    index = open_vault_index()
    index.update()
    assert paths(index.search("사과")) == ["a.md"]
    write_note(vault, "a.md", "이제 내용은 바나나다.\n", title="a")
    _bump_mtime(note)
    stats = index.update()
    assert (stats.updated, stats.added, stats.removed) == (1, 0, 0)
    assert paths(index.search("바나나")) == ["a.md"]
    assert index.search("사과") == []


def test_touched_but_unchanged_note_is_not_reindexed(vault, open_vault_index):
    note = write_note(vault, "a.md", "내용\n", title="a")
    index = open_vault_index()
    index.update()
    _bump_mtime(note)
    stats = index.update()
    assert (stats.updated, stats.added) == (0, 0)
    # ...and the new mtime was remembered: the next scan does not even hash it.
    assert index._manifest.files["a.md"][0] == note.stat().st_mtime_ns


def test_deleted_note_leaves_the_results(vault, open_vault_index):
    note = write_note(vault, "gone.md", "사라질 메타러닝 노트\n", title="gone")
    write_note(vault, "stay.md", "남는 메타러닝 노트\n", title="stay")
    index = open_vault_index()
    index.update()
    note.unlink()
    stats = index.update()
    assert (stats.removed, stats.notes) == (1, 1)
    assert paths(index.search("메타러닝")) == ["stay.md"]


def test_renamed_note_is_found_under_its_new_path_only(vault, open_vault_index):
    note = write_note(vault, "old.md", "이름이 바뀌는 노트의 역색인\n", title="rename me")
    index = open_vault_index()
    index.update()
    (vault / "folder").mkdir()
    note.rename(vault / "folder" / "새 이름.md")
    stats = index.update()
    assert (stats.added, stats.removed, stats.notes) == (1, 1, 1)
    assert paths(index.search("역색인")) == ["folder/새 이름.md"]


def test_changes_seen_by_a_new_process(vault, open_vault_index):
    write_note(vault, "a.md", "첫 내용 사과\n", title="a")
    first = open_vault_index()
    first.update()
    first.close()
    write_note(vault, "b.md", "새 노트 포도\n", title="b")
    second = open_vault_index()
    stats = second.update()
    assert (stats.added, stats.notes) == (1, 2)
    assert paths(second.search("포도")) == ["b.md"]


def test_update_paths_for_a_file_watcher(vault, open_vault_index):
    a = write_note(vault, "a.md", "감자\n", title="a")
    b = write_note(vault, "b.md", "고구마\n", title="b")
    index = open_vault_index()
    index.update()
    write_note(vault, "a.md", "옥수수 수확\n", title="a")
    _bump_mtime(a)
    b.unlink()
    write_note(vault, "c.md", "당근 수확\n", title="c")
    stats = index.update_paths([a, "b.md", "c.md", "not-a-note.txt", ".obsidian/x.md"])
    assert (stats.updated, stats.removed, stats.added, stats.notes) == (1, 1, 1, 2)
    assert sorted(paths(index.search("수확"))) == ["a.md", "c.md"]
    assert index.search("고구마") == []


def test_invalid_note_is_indexed_and_counted(vault, open_vault_index):
    (vault / "broken.md").write_text(
        "---\ntitle: [unclosed\n---\n깨진 노트의 본문\n", encoding="utf-8"
    )
    write_note(vault, "ok.md", "멀쩡한 노트\n", title="ok")
    index = open_vault_index()
    stats = index.update()
    assert (stats.notes, stats.invalid) == (2, 1)
    assert paths(index.search("본문")) == ["broken.md"]


def test_ignored_folders_are_not_indexed(vault, open_vault_index):
    write_note(vault, "a.md", "보이는 노트\n", title="a")
    write_note(vault, ".obsidian/b.md", "숨은 노트\n", title="b")
    write_note(vault, ".trash/c.md", "버린 노트\n", title="c")
    (vault / "d.txt").write_text("노트 아님", encoding="utf-8")
    index = open_vault_index()
    assert index.update().notes == 1
    assert paths(index.search("노트")) == ["a.md"]


def test_scan_agrees_with_the_vault_core(vault):
    for rel in [
        "a.md",
        "B.MD",
        "x/y/c.md",
        ".hidden/d.md",
        "templates/e.md",
        "x/templates/f.md",
        "x/.git/g.md",
        "한글 폴더/노트.md",
        "h.txt",
        ".i.md",
    ]:
        path = vault / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    config = VaultConfig()
    config.ignore_dirs |= {"templates"}
    core = {(f.path, f.mtime_ns, f.size) for f in iter_note_files(vault, config)}
    ours = {(f.path, f.mtime_ns, f.size) for f in scan_note_files(vault, config)}
    assert ours == core and len(ours) == 4


# --- damaged index ------------------------------------------------------------------


@pytest.fixture
def built(vault, open_vault_index):
    write_note(vault, "a.md", "복구 테스트용 메타러닝 노트\n", title="a")
    index = open_vault_index()
    index.update()
    index.close()
    return index_folder(vault)


def test_garbage_segment_files_are_rebuilt_with_a_message(vault, built, open_vault_index, messages):
    for entry in built.iterdir():
        if entry.suffix in (".seg", ".toc"):
            entry.write_bytes(b"\x00garbage" * 10)
    index = open_vault_index()
    assert any("rebuilding" in m for m in messages)
    stats = index.update()
    assert stats.added == 1
    assert paths(index.search("메타러닝")) == ["a.md"]


def test_schema_version_mismatch_is_rebuilt(vault, built, open_vault_index, messages, monkeypatch):
    from notebase.index.schema import SCHEMA_VERSION

    monkeypatch.setattr("notebase.index.whoosh_index.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    index = open_vault_index()
    assert any(f"format {SCHEMA_VERSION}," in m and "rebuilding" in m for m in messages)
    assert index.update().added == 1


def test_a_new_parser_version_rebuilds_the_index_but_write_back_settings_do_not(
    vault, built, open_vault_index, messages, monkeypatch
):
    # Settings only write-back reads (the sources headings) leave the parsed notes as they are.
    (vault / ".notebase.toml").write_text('sources_headings = ["^참고"]\n', encoding="utf-8")
    open_vault_index().close()
    assert messages == []
    # A parser change must reach the index, not only the notes cache.
    from notebase.config import PARSER_VERSION

    monkeypatch.setattr("notebase.config.PARSER_VERSION", PARSER_VERSION + 1)
    index = open_vault_index()
    assert any("other vault settings" in m and "rebuilding" in m for m in messages)
    assert index.update().added == 1


def test_garbage_manifest_is_rebuilt(vault, built, open_vault_index, messages):
    (built / "manifest.json").write_text("{not json", encoding="utf-8")
    index = open_vault_index()
    assert any("manifest" in m for m in messages)
    assert index.update().added == 1
    assert paths(index.search("메타러닝")) == ["a.md"]


def test_deleted_index_folder_is_recreated_quietly(vault, built, open_vault_index, messages):
    import shutil

    shutil.rmtree(built)
    index = open_vault_index()
    assert index.update().added == 1 and messages == []


def test_torn_manifest_log_line_only_costs_a_reindex(vault, built, open_vault_index, messages):
    with open(built / "manifest.log", "a", encoding="utf-8") as log:
        log.write('{"generation": 99, "set": {"a.md": [1, 2')
    index = open_vault_index()
    assert messages == []
    assert index.update().notes == 1


# --- two processes ------------------------------------------------------------------

HOLD_LOCK = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from notebase.index.lock import FolderLock
    lock = FolderLock(Path(sys.argv[1]), timeout=0, message=print)
    lock.acquire()
    print("locked", flush=True)
    sys.stdin.readline()  # hold it until told (a line, or the end of stdin)
    lock.release()
    print("released", flush=True)
    """
)


def _hold_lock_in_other_process(folder) -> subprocess.Popen:
    """A process holding the index's write lock until a line is written to its stdin."""
    folder.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_waits_for_another_writer_then_proceeds(vault, built):
    from notebase.index import open_index

    write_note(vault, "b.md", "잠금 뒤에 추가된 노트\n", title="b")
    holder = _hold_lock_in_other_process(built)
    messages = []

    def on_message(text: str) -> None:
        messages.append(text)
        if "waiting" in text:  # the update is blocked on the lock: let the holder go
            holder.stdin.write("go\n")
            holder.stdin.flush()
            messages.append(holder.stdout.readline().strip())

    index = open_index(vault, on_message=on_message)
    try:
        stats = index.update()
    finally:
        index.close()
        holder.kill()
        holder.wait()
    assert stats.added == 1
    assert messages[:2] == [
        "index is being updated by another notebase process, waiting...",
        "released",
    ]


def test_gives_up_clearly_when_the_lock_is_never_released(vault, built, open_vault_index):
    index = open_vault_index(lock_timeout=0.3)
    write_note(vault, "b.md", "잠긴 동안의 노트\n", title="b")
    holder = _hold_lock_in_other_process(built)
    try:
        with pytest.raises(IndexBusyError, match="locked by another notebase process"):
            index.update()
    finally:
        holder.kill()
        holder.wait()
    # Searching an index that another process is updating still works.
    assert paths(index.search("메타러닝")) == ["a.md"]


def test_two_indexes_on_one_vault_see_each_others_commits(vault, built, open_vault_index):
    app = open_vault_index()
    cli = open_vault_index()
    write_note(vault, "b.md", "다른 프로세스가 넣은 포도\n", title="b")
    assert cli.update().added == 1
    # The app's searcher refreshes to the other writer's commit...
    assert paths(app.search("포도")) == ["b.md"]
    # ...and its next update reads the other writer's manifest instead of redoing it.
    assert app.update().added == 0


def test_progress_is_reported_up_to_the_total(vault, open_vault_index):
    for i in range(5):
        write_note(vault, f"n{i}.md", f"노트 {i}\n", title=f"n{i}")
    calls = []
    open_vault_index().update(progress=lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (5, 5)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_rebuild_reindexes_everything_into_one_segment(vault, open_vault_index):
    index = open_vault_index()
    for i in range(10):
        write_note(vault, f"n{i}.md", f"노트 {i}\n", title=f"n{i}")
    index.update()
    write_note(vault, "n10.md", "노트 10\n", title="n10")
    index.update()  # one commit (segment) per update; too small to merge the first
    assert index.segment_count() == 2
    stats = index.rebuild()
    assert (stats.added, stats.notes) == (11, 11) and index.segment_count() == 1
    assert len(index.search("노트")) == 11


def test_importing_the_adapter_package_does_not_import_whoosh():
    code = "import sys, notebase.index; print('whoosh' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_long_builds_commit_in_chunks(vault, open_vault_index, monkeypatch):
    monkeypatch.setattr("notebase.index.writer.CHUNK_DOCUMENTS", 2)
    monkeypatch.setattr("notebase.index.writer.MAX_MERGE_NOTES", 2)  # as chunks are large
    for i in range(5):
        write_note(vault, f"n{i}.md", f"청크 노트 {i}\n", title=f"n{i}")
    index = open_vault_index()
    stats = index.update()
    assert (stats.added, stats.notes) == (5, 5)
    assert index.segment_count() == 3
    assert len(index.search("청크")) == 5
    # Every chunk's manifest entries were written: a new process has nothing to do.
    index.close()
    assert open_vault_index().update().added == 0


def test_search_answers_while_another_thread_updates(vault, open_vault_index):
    import threading

    write_note(vault, "old.md", "이미 색인된 사과 노트\n", title="old")
    index = open_vault_index()
    index.update()
    for i in range(3):
        write_note(vault, f"new{i}.md", f"새 사과 노트 {i}\n", title=f"new{i}")
    inside, release = threading.Event(), threading.Event()

    def slow_progress(done, total):
        if done == 0:
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=index.update, kwargs={"progress": slow_progress})
    worker.start()
    try:
        assert inside.wait(10)
        started = time.monotonic()
        assert paths(index.search("사과")) == ["old.md"]  # the committed state, at once
        assert time.monotonic() - started < 2
    finally:
        release.set()
        worker.join(10)
    assert len(index.search("사과")) == 4


def test_the_adapter_is_the_domains_note_index(vault, open_vault_index):
    from notebase.core.ports import NoteIndex

    assert isinstance(open_vault_index(), NoteIndex)


def test_update_paths_with_a_moved_folder(vault, open_vault_index):
    write_note(vault, "ml/a.md", "폴더 안의 감자\n", title="a")
    write_note(vault, "ml/deep/b.md", "더 깊은 감자\n", title="b")
    index = open_vault_index()
    index.update()
    (vault / "ml").rename(vault / "연구")
    stats = index.update_paths([vault / "ml", vault / "연구"])
    assert (stats.removed, stats.added) == (2, 2)
    assert sorted(paths(index.search("감자"))) == ["연구/a.md", "연구/deep/b.md"]


def test_notes_the_vault_already_parsed_are_not_parsed_again(vault, open_vault_index, monkeypatch):
    """The app's vault parses every note; the index takes those notes when the file is the
    one that was parsed, and parses only what changed since."""
    import notebase.core.parse as parse
    from notebase.core.vault import Vault

    write_note(vault, "a.md", "사과에 관한 노트\n", title="a")
    write_note(vault, "b.md", "배에 관한 노트\n", title="b")
    loaded = Vault.load(vault, use_cache=False)
    calls = []
    real = parse.parse_note
    monkeypatch.setattr(parse, "parse_note", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    index = open_vault_index()
    assert index.update(parsed=loaded.parsed_note).added == 2
    assert calls == [] and paths(index.search("사과")) == ["a.md"]
    # Changed on disk after the vault read it: the vault's note is stale, the index parses.
    note = write_note(vault, "b.md", "이제 바나나에 관한 노트\n", title="b")
    _bump_mtime(note)
    assert index.update_paths(["b.md"], parsed=loaded.parsed_note).updated == 1
    assert calls == ["b.md"] and paths(index.search("바나나")) == ["b.md"]
