"""What users type finds what they wrote: Korean particles and spacing, tags, aliases,
English stems, phrases and exclusions, against a real whoosh index in a tmp vault."""

from __future__ import annotations

import pytest
from index_helpers import paths, write_note

from notebase.index.analysis import index_tokens
from notebase.index.query import QuerySyntaxError, parse_query, word_tokens


@pytest.fixture
def sample(vault, open_vault_index):
    write_note(
        vault,
        "meta.md",
        "메타러닝에서는 내부 루프의 그라디언트를 다시 미분해야 한다. 계산량이 크게 늘어난다.\n",
        title="고차 미분이 필요한 이유",
        tags=["ml/meta-learning", "초안"],
        aliases=["MAML 계산 비용"],
    )
    write_note(
        vault,
        "daily.md",
        "일일 노트를 쓰면 빛 공해에 대한 생각도 정리된다.\n",
        title="기록 습관",
        tags=["life/health"],
    )
    write_note(
        vault,
        "sleep.md",
        "Sleep debt accumulates; the gradients of fatigue are steep. 수면부채는 쌓인다.\n",
        title="수면",
        tags=["health/sleep", "연구/수면"],
    )
    write_note(
        vault,
        "health.md",
        "Exercise every day.\n",
        title="Exercise",
        tags=["health"],
    )
    index = open_vault_index()
    stats = index.update()
    assert stats.notes == 4 and stats.added == 4
    return index


@pytest.mark.parametrize(
    "query",
    ["메타러닝", "메타 러닝", "메타러닝에서", "계산량", "그라디언트", "고차미분", "고차 미분"],
)
def test_korean_words_match_with_particles_and_either_spacing(sample, query):
    # The note only ever writes 메타러닝에서는 / 계산량이 / 그라디언트를 / 고차 미분이.
    assert paths(sample.search(query)) == ["meta.md"]


@pytest.mark.parametrize("query", ["일일노트", "일일 노트", "빛공해", "빛 공해"])
def test_spaced_text_matches_unspaced_query_and_back(sample, query):
    assert paths(sample.search(query)) == ["daily.md"]


def test_unspaced_text_matches_spaced_query(sample):
    assert paths(sample.search("수면 부채")) == ["sleep.md"]


def test_words_must_all_match(sample):
    assert paths(sample.search("메타러닝 수면")) == []


def test_nested_tags_match_their_parents_not_their_suffixes(sample):
    assert sorted(paths(sample.search("tag:health"))) == ["health.md", "sleep.md"]
    assert paths(sample.search("tag:health/sleep")) == ["sleep.md"]
    assert paths(sample.search("tag:life")) == ["daily.md"]
    assert paths(sample.search("tag:ml")) == ["meta.md"]
    assert paths(sample.search("tag:#ML/")) == ["meta.md"]  # '#', case, trailing '/'
    assert paths(sample.search("tag:meta-learning")) == []  # only a suffix of ml/meta-learning


def test_korean_tags(sample):
    assert paths(sample.search("tag:초안")) == ["meta.md"]
    assert paths(sample.search("tag:연구")) == ["sleep.md"]
    assert paths(sample.search("tag:연구/수면")) == ["sleep.md"]


def test_tag_combined_with_words(sample):
    assert paths(sample.search("tag:ml 메타러닝")) == ["meta.md"]
    assert paths(sample.search("tag:ml 수면")) == []


def test_aliases_are_searched(sample):
    assert paths(sample.search("MAML")) == ["meta.md"]
    assert paths(sample.search("alias:비용")) == ["meta.md"]


def test_english_stemming_both_ways(sample):
    assert paths(sample.search("gradient")) == ["sleep.md"]
    assert paths(sample.search("accumulate")) == ["sleep.md"]
    assert paths(sample.search("EXERCISES")) == ["health.md"]


def test_title_field(sample):
    assert paths(sample.search("title:고차")) == ["meta.md"]
    assert paths(sample.search("title:그라디언트")) == []


def test_phrases_need_adjacent_words(vault, open_vault_index):
    write_note(vault, "a.md", "the inner loop adapts quickly\n", title="a")
    write_note(vault, "b.md", "the loop is inner to the outer one\n", title="b")
    index = open_vault_index()
    index.update()
    assert sorted(paths(index.search("inner loop"))) == ["a.md", "b.md"]
    assert paths(index.search('"inner loop"')) == ["a.md"]


def test_exclusion_and_or(sample):
    assert sorted(paths(sample.search("tag:health -tag:health/sleep"))) == ["health.md"]
    assert sorted(paths(sample.search("메타러닝 OR exercise"))) == ["health.md", "meta.md"]
    assert paths(sample.search("-수면 tag:health")) == ["health.md"]


def test_title_and_alias_matches_rank_first(vault, open_vault_index):
    write_note(vault, "mention.md", "가끔 역전파 얘기를 하지만 주제는 아니다.\n", title="잡담")
    write_note(vault, "topic.md", "미분을 거꾸로 계산한다.\n", title="역전파의 원리")
    write_note(vault, "alias.md", "계산 그래프를 따라간다.\n", title="AD", aliases=["역전파 구현"])
    index = open_vault_index()
    index.update()
    ranked = paths(index.search("역전파"))
    assert set(ranked[:2]) == {"topic.md", "alias.md"} and ranked[2] == "mention.md"


def test_snippet_marks_the_matched_words(sample):
    (hit,) = sample.search("메타러닝")
    assert "«메타러닝»에서는" in hit.snippet
    assert hit.title == "고차 미분이 필요한 이유"
    (hit,) = sample.search("gradient")
    assert "«gradients»" in hit.snippet


def test_stop_words_only_finds_nothing(sample):
    assert sample.search("the") == []


@pytest.mark.parametrize(
    "query, message",
    [
        ('"inner loop', "unbalanced quote"),
        ("foo:bar", "unknown field 'foo:'"),
        ("tag:", "needs a value"),
        ("-수면", "at least one term"),
        ("메타 - 러닝", "'-' must be followed"),
        ("OR 메타", "OR needs"),
        ("   ", "empty query"),
    ],
)
def test_unreadable_queries_raise_one_line_errors(sample, query, message):
    with pytest.raises(QuerySyntaxError, match=message):
        sample.search(query)


def test_spacing_variants_index_the_same_bigrams():
    assert index_tokens("메타 러닝") == index_tokens("메타러닝") == ["메타", "타러", "러닝"]
    assert index_tokens("Gradients, MAML은") == ["gradient", "maml", "은"]


def test_query_words_drop_particles_and_glue_single_syllables():
    assert word_tokens("메타러닝에서") == ["메타", "타러", "러닝"]
    assert word_tokens("평가") == ["평가"]  # two syllables: never cut
    assert word_tokens("MAML은") == ["maml"]
    parsed = parse_query("빛 공해 tag:x")
    assert [c.text for group in parsed.groups for c in group] == ["빛공해", "x"]


def test_a_lone_syllable_finds_the_words_it_starts(sample, vault, open_vault_index):
    assert paths(sample.search("빛")) == ["daily.md"]  # text: "빛 공해에"
    write_note(vault, "solo.md", "그것은 빛. 그리고 어둠.\n", title="solo")
    sample.update()
    assert sorted(paths(sample.search("빛"))) == ["daily.md", "solo.md"]
