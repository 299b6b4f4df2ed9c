"""Commits merge the small segments one-note saves leave (``writer.merge_small_segments``):
the segment count stays logarithmic in the saves, a build's large segments are not
rewritten by a save, and merged or not the index answers with whoosh's own scores."""

from __future__ import annotations

import math
import shutil

import pytest
from index_helpers import paths, whoosh_ranking, write_note
from whoosh.writing import NO_MERGE

from notebase.index import open_index, ranking
from notebase.index import writer as index_writer
from notebase.index.query import compile_query, parse_query

QUERIES = ["메모리", "가상 메모리", '"가상 메모리"', "tag:ml 메모리", "-tag:ml 메모리", "저장"]


def _write_vault(vault, count: int) -> None:
    for i in range(count):
        body = f"가상 메모리 노트 {i}\n" + ("메모리 " * (1 + i % 4)) + "\n"
        write_note(vault, f"n{i:03}.md", body, title=f"노트 {i}", tags=["ml"] if i % 3 else [])


def _save(index, vault, i: int, count: int) -> None:
    """One edit of one note, as the app's file watcher reports it."""
    note = vault / f"n{(i * 7) % count:03}.md"
    note.write_text(note.read_text(encoding="utf-8") + f"\n저장 {i}\n", encoding="utf-8")
    assert index.update_paths([note]).updated == 1


def _sizes(index) -> list[int]:
    return sorted(segment.doc_count_all() for segment in index._ix._segments())


def test_segment_count_stays_logarithmic_in_the_saves(vault, open_vault_index):
    _write_vault(vault, 40)
    index = open_vault_index()
    index.update()
    assert index.segment_count() == 1
    most = 0
    for i in range(60):
        _save(index, vault, i, 40)
        bound = 1 + math.ceil(math.log(i + 2, index_writer.MERGE_FACTOR + 1))
        assert index.segment_count() <= bound, (i, _sizes(index))
        most = max(most, index.segment_count())
    assert most >= 2  # saves did leave segments to merge
    assert sum(_sizes(index)) < 40 + 60  # merges dropped the replaced copies
    assert len(index.search("저장", limit=100)) == 40


def test_a_save_does_not_rewrite_a_large_segment(vault, open_vault_index, monkeypatch):
    monkeypatch.setattr(index_writer, "MAX_MERGE_NOTES", 30)
    _write_vault(vault, 40)
    index = open_vault_index()
    index.update()
    for i in range(30):
        _save(index, vault, i, 40)
        assert _sizes(index)[-1] == 40, i  # the build's segment, with its deleted copies


def test_a_segment_whose_notes_are_all_gone_is_dropped(vault, open_vault_index):
    _write_vault(vault, 20)
    index = open_vault_index()
    index.update()
    extra = write_note(vault, "extra.md", "가상 메모리 추가\n", title="extra")
    index.update_paths([extra])
    assert _sizes(index) == [1, 20]
    extra.unlink()
    assert index.update_paths([extra]).removed == 1
    assert _sizes(index) == [20]
    assert "extra.md" not in paths(index.search("메모리", limit=100))


def test_merged_or_not_the_same_notes_match_with_whooshs_scores(vault, tmp_path, monkeypatch):
    """Two copies of one index get the same saves, one without merges: the same notes
    match each query; each ranks exactly as whoosh scores it (a merge drops the deleted
    copies whoosh still counts in its statistics, so scores may differ between the two)."""
    _write_vault(vault, 40)
    built = open_index(vault, on_message=lambda m: None)
    built.update()
    built.close()
    other = tmp_path / "unmerged"
    shutil.copytree(vault, other)
    merged = open_index(vault, on_message=lambda m: None)
    unmerged = open_index(other, on_message=lambda m: None)
    try:
        for i in range(25):
            monkeypatch.setattr(index_writer, "merge_small_segments", NO_MERGE)
            _save(unmerged, other, i, 40)
            monkeypatch.undo()
            _save(merged, vault, i, 40)
        assert merged.segment_count() < unmerged.segment_count() == 26
        for index in (merged, unmerged):
            searcher = index._current_searcher()
            for text in QUERIES:
                query = compile_query(parse_query(text))
                found = ranking.ranked_docs(searcher, query, 100)
                assert found is not None, text
                assert found[0] == whoosh_ranking(searcher, query), text
        for text in QUERIES:
            hits = {h.path for h in merged.search(text, limit=100)}
            assert hits == {h.path for h in unmerged.search(text, limit=100)}, text
            assert hits, text
    finally:
        merged.close()
        unmerged.close()


@pytest.mark.parametrize("notes", [1, 3])
def test_a_commit_with_fewer_notes_than_a_segment_leaves_it(vault, open_vault_index, notes):
    """An older segment more than MERGE_FACTOR times the notes a commit gathers stays."""
    _write_vault(vault, 40)
    index = open_vault_index()
    index.update()
    added = [write_note(vault, f"new{k}.md", "새 노트\n", title=f"new{k}") for k in range(notes)]
    index.update_paths(added)
    assert _sizes(index) == [notes, 40]


def test_a_search_racing_another_writers_merge_answers_from_the_new_segments(
    vault, open_vault_index, messages
):
    """A searcher opened before another writer's merge removed segment files it had not
    opened yet (whoosh opens stored fields lazily) fails once; the search retries on the
    index as it is now, without calling it damaged."""
    _write_vault(vault, 30)
    reader = open_vault_index()
    reader.update()
    writer = open_vault_index()
    _save(writer, vault, 1, 30)  # segments [30, 1]
    searcher = reader._current_searcher()
    assert len(list(searcher.leaf_searchers())) == 2
    _save(writer, vault, 2, 30)  # takes the 1-note segment in: its files go
    assert _sizes(writer) == [2, 30]
    # The race: the searcher passed its up-to-date check just before that commit.
    real_up_to_date = searcher.up_to_date
    checks = []

    def up_to_date_once():
        checks.append(True)
        return True if len(checks) == 1 else real_up_to_date()

    searcher.up_to_date = up_to_date_once
    with pytest.raises((TypeError, OSError)):  # what happened before the retry
        reader._ranked_page(searcher, compile_query(parse_query("저장")), None, 10)
    hits = reader.search("저장", limit=10)
    assert sorted(paths(hits)) == ["n007.md", "n014.md"]
    assert reader._current_searcher() is not searcher
    assert not any("rebuild" in message for message in messages)
