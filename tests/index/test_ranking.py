"""``index/ranking.py`` ranks as whoosh scores: for each query shape, its top N is whoosh's
full ranking (every match scored by whoosh's matcher, sorted by score then note number), score
for score, also across the two segments a helped build writes. (whoosh's own ``limit=N``
search can miss better notes in a later segment; that is why notebase ranks itself.)"""

from __future__ import annotations

import pytest
from index_helpers import whoosh_ranking, write_note

from notebase.core import helper_process
from notebase.index import build_helper, ranking
from notebase.index.query import compile_query, parse_query

QUERIES = [
    "메타러닝",
    "메타 러닝",
    "메타러닝에서",
    "gradient",
    "gradient descent",
    "tag:ml",
    "tag:ml 메모리",
    '"가상 메모리"',
    '"내부 루프"',
    "title:노트",
    'title:"가상 메모리"',
    "-tag:ml 메모리",
    '-"가상 메모리" 메모리',
    "메모리 -tag:ml -tag:cs",
    "embedding OR 임베딩",
    "빛",
    "빛 공해",
    "alias:메모",
]
WORDS = [
    "메타러닝",
    "가상",
    "메모리",
    "내부",
    "루프",
    "gradient",
    "descent",
    "임베딩",
    "빛",
    "공해",
]


def _write_vault(vault, count: int = 90) -> None:
    for i in range(count):
        words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(3 + i % 5)]
        body = " ".join(words) + (" 가상 메모리" if i % 4 == 0 else "") + f" embedding {i % 3}\n"
        tags = ["ml"] if i % 3 == 0 else (["cs"] if i % 3 == 1 else [])
        write_note(vault, f"n{i:03}.md", body * (1 + i % 3), title=f"노트 {words[0]}", tags=tags)


def _whoosh_count(searcher, query):
    return len(searcher.search(query, limit=None))


@pytest.fixture
def two_segment_index(vault, open_vault_index, monkeypatch):
    _write_vault(vault)
    monkeypatch.setattr(build_helper, "MIN_NOTES", 10)
    monkeypatch.setattr(helper_process.os, "cpu_count", lambda: 2)
    index = open_vault_index()
    index.update()
    assert index.segment_count() == 2
    return index


@pytest.mark.parametrize("limit", [1, 3, 20])
def test_the_top_n_is_whooshs_full_ranking_score_for_score(two_segment_index, limit):
    searcher = two_segment_index._current_searcher()
    for text in QUERIES:
        query = compile_query(parse_query(text))
        expected = (whoosh_ranking(searcher, query, limit), _whoosh_count(searcher, query))
        assert ranking.ranked_docs(searcher, query, limit) == expected, text
        assert ranking.ranked_docs(searcher, query, limit) == expected, text  # from the cache
    assert whoosh_ranking(searcher, compile_query(parse_query("메모리")), 20)


def test_search_returns_that_ranking(two_segment_index):
    searcher = two_segment_index._current_searcher()
    for text in QUERIES:
        expected = whoosh_ranking(searcher, compile_query(parse_query(text)), 20)
        hits = two_segment_index.search(text)
        assert [(h.path, h.score) for h in hits] == [
            (searcher.stored_fields(docnum)["path"], score) for docnum, score in expected
        ], text


def test_a_shape_it_does_not_evaluate_is_left_to_whoosh(two_segment_index):
    searcher = two_segment_index._current_searcher()
    query = compile_query(parse_query("path:n0 메모리"))  # a prefix query
    assert ranking.ranked_docs(searcher, query, 20) is None
    assert [h.path for h in two_segment_index.search("path:n0 메모리")]


def test_a_full_cache_drops_its_oldest_terms_and_ranks_the_same(two_segment_index, monkeypatch):
    monkeypatch.setattr(ranking, "MAX_POSTINGS", 40)
    searcher = two_segment_index._current_searcher()
    for text in QUERIES:
        query = compile_query(parse_query(text))
        ranked, _total = ranking.ranked_docs(searcher, query, 20)
        assert ranked == whoosh_ranking(searcher, query, 20), text
    cache = searcher._notebase_term_scores
    assert len(cache) > 0
    assert cache.postings == sum(len(entry[0]) for entry in cache.values())
    assert cache.postings <= 40 or len(cache) == 1


def test_segments_with_deleted_notes_are_ranked_here_too(two_segment_index, vault):
    for name in ("n000.md", "n050.md"):  # one in each segment: both get a deleted note
        note = vault / name
        note.write_text(note.read_text(encoding="utf-8") + "\n가상 메모리 edit\n", encoding="utf-8")
    two_segment_index.update()
    assert two_segment_index.segment_count() >= 3
    searcher = two_segment_index._current_searcher()
    assert any(leaf.reader().has_deletions() for leaf, _ in searcher.leaf_searchers())
    for text in QUERIES:
        query = compile_query(parse_query(text))
        found = ranking.ranked_docs(searcher, query, 20)
        assert found is not None, text
        assert found[0] == whoosh_ranking(searcher, query, 20), text


def test_field_lengths_outlive_the_searcher_and_it_still_ranks_as_whoosh(two_segment_index, vault):
    """Field lengths are kept per segment on the index object: the searcher after a save
    reuses those of the segments the save left, and ranks exactly as whoosh does."""
    first = two_segment_index._current_searcher()
    for text in QUERIES:
        ranking.ranked_docs(first, compile_query(parse_query(text)), 20)
    kept = two_segment_index._ix._notebase_lengths
    before = {key: dict(lengths) for key, lengths in kept.items()}
    assert before
    note = vault / "n001.md"
    note.write_text(note.read_text(encoding="utf-8") + "\n메모리 추가\n", encoding="utf-8")
    assert two_segment_index.update_paths([note]).updated == 1
    second = two_segment_index._current_searcher()
    assert second is not first
    for text in QUERIES:
        query = compile_query(parse_query(text))
        found = ranking.ranked_docs(second, query, 20)
        assert found is not None, text
        assert found[0] == whoosh_ranking(second, query, 20), text
    live = {leaf.reader().segment().segment_id() for leaf, _ in second.leaf_searchers()}
    assert {segment for segment, _ in kept} <= live
    assert any(segment in live for segment, _ in before)
    for key, lengths in before.items():
        if key[0] in live:  # a segment the save left: the same lengths, not read again
            assert kept[key].items() >= lengths.items()
