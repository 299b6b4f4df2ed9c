"""The index's own writer (``fast_writer.FastSegmentWriter``) writes what whoosh's writer
writes: the same terms, postings (weights, positions), field lengths and stored fields,
so searches score alike; and ``term_positions`` is ``KoreanAnalyzer`` term by term."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.writing import SegmentWriter

from notebase.config import VaultConfig
from notebase.core.parse import parse_note
from notebase.core.vault_files import iter_note_files
from notebase.index.analysis import KoreanAnalyzer, term_positions
from notebase.index.fast_writer import FastSegmentWriter, index_field
from notebase.index.schema import build_schema, note_document

EXAMPLE_VAULT = Path(__file__).resolve().parents[2] / "notes"

TEXTS = [
    "",
    "메타러닝에서는 내부 루프가 2차 미분을 쓴다.",
    "메타 러닝 과 메타러닝",
    "밝은 빛 공해 와 빛",
    "빛",
    "가 나 다\n라\t마",
    "Gradients of the inner loop, Dijkstra's algorithm, C++ and C# 3.14",
    "the a an of",  # stop words only
    "x" * 41 + " ok " + "y" * 40,
    "한국어English혼합text 그라디언트(Gradient)를",
    "漢字 かな 메타",
    "줄\n\n바꿈   여러  칸 공백",
    "- [ ] 할 일 #태그 [[링크|라벨]] [^1]\n[^1]: Finn, 2017.",
]


def _analyzer_positions(text: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for token in KoreanAnalyzer()(text, positions=True):
        found.setdefault(token.text, []).append(token.pos)
    return found


@pytest.mark.parametrize("text", TEXTS)
def test_term_positions_is_the_analyzer(text):
    expected = _analyzer_positions(text)
    got = term_positions(text)
    assert got == expected
    assert list(got) == list(expected)  # same order: whoosh encodes in this order


@pytest.mark.parametrize("text", TEXTS)
def test_each_field_indexes_as_whoosh_does(text):
    schema = build_schema()
    for name, field in schema.items():
        if field.indexed:
            assert sorted(index_field(field, text)) == sorted(field.index(text)), name


def _documents() -> list[dict]:
    config = VaultConfig()
    documents = []
    for file in iter_note_files(EXAMPLE_VAULT, config):
        note = parse_note(file.path, file.abs_path.read_bytes(), config)
        documents.append(note_document(note))
    for i, text in enumerate(TEXTS):
        note = parse_note(f"extra/{i}.md", f"# 제목 {i}\n\n{text}\n".encode(), config)
        documents.append(note_document(note))
    return documents


def _build(folder: Path, writer_class, documents: list[dict]):
    ix = whoosh_index.create_in(str(folder), build_schema())
    writer = writer_class(ix, compound=False)
    for document in documents:
        writer.add_document(**document)
    writer.commit(merge=False)
    return ix


def _contents(ix) -> tuple:
    with ix.reader() as reader:
        postings = sorted(reader.iter_postings())
        lengths = sorted(
            (docnum, name, reader.doc_field_length(docnum, name))
            for docnum in range(reader.doc_count_all())
            for name in ix.schema.scorable_names()
        )
        stored = [reader.stored_fields(docnum) for docnum in range(reader.doc_count_all())]
        totals = {name: reader.field_length(name) for name in ix.schema.scorable_names()}
    return postings, lengths, stored, totals


def test_segment_is_the_one_whoosh_writes(tmp_path):
    documents = _documents()
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "fast").mkdir()
    expected = _build(tmp_path / "whoosh", SegmentWriter, documents)
    got = _build(tmp_path / "fast", FastSegmentWriter, documents)
    assert len(documents) > 10
    postings, lengths, stored, totals = _contents(got)
    assert len(postings) > 1000
    assert (postings, lengths, stored, totals) == _contents(expected)
    with expected.searcher() as one, got.searcher() as other:
        from notebase.index.query import compile_query, parse_query

        for text in ["메타러닝", "gradient", "tag:ml", '"내부 루프"', "빛", "title:메타"]:
            query = compile_query(parse_query(text))
            first = [(hit["path"], hit.score) for hit in one.search(query, limit=None)]
            second = [(hit["path"], hit.score) for hit in other.search(query, limit=None)]
            assert first == second, text


def _build_then_merge(folder: Path, writer_class, documents: list[dict]):
    half = len(documents) // 2
    ix = _build(folder, writer_class, documents[:half])
    writer = writer_class(ix, compound=False)
    for document in documents[half:]:
        writer.add_document(**document)
    writer.commit(optimize=True)  # merges the first segment into this one
    assert len(ix._segments()) == 1
    return ix


def test_a_merge_after_added_documents_writes_what_whoosh_writes(tmp_path):
    """Documents added, then a segment merged in (whoosh's commit may merge): lengths of
    both kinds come out as whoosh's own writer writes them, and so do the postings."""
    documents = _documents()
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "fast").mkdir()
    expected = _build_then_merge(tmp_path / "whoosh", SegmentWriter, documents)
    got = _build_then_merge(tmp_path / "fast", FastSegmentWriter, documents)
    assert _contents(got) == _contents(expected)
    with expected.reader() as one, got.reader() as other:
        for name in expected.schema.scorable_names():
            for text in list(one.lexicon(name))[:200]:  # block statistics of each term
                first, second = one.postings(name, text), other.postings(name, text)
                stats = ("block_min_length", "block_max_length", "block_max_weight")
                assert [getattr(first, stat)() for stat in stats] == [
                    getattr(second, stat)() for stat in stats
                ]
