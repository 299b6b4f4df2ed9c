"""Unlinked mentions: the rule of notebase.core.mentions on real parsed notes and a vault."""

from __future__ import annotations

import textwrap
import time

from notebase.core.mentions import mention_names, unlinked_mentions
from notebase.core.vault import Vault


def vault_of(tmp_path, notes: dict[str, str]) -> Vault:
    for name, text in notes.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return Vault.load(tmp_path, use_cache=False)


def found(vault: Vault, target: str) -> list[tuple[str, int, str]]:
    note = vault.notes[target]
    return [(m.path, m.line, m.name) for m in unlinked_mentions(note, vault.notes.values())]


def test_korean_title_is_found_as_a_substring_with_particles(tmp_path):
    vault = vault_of(
        tmp_path,
        {
            "메타러닝.md": "# 메타러닝\n\n본문.\n",
            "a.md": "# A\n\n메타러닝은 배우는 법을 배운다.\n\n둘째 줄 없음.\n",
            "b.md": "# B\n\n비메타러닝적 접근도 메타러닝의 일종이다.\n",
            "c.md": "# C\n\n메타 러닝 (띄어 씀)은 다른 글자다.\n",
        },
    )
    assert found(vault, "메타러닝.md") == [("a.md", 3, "메타러닝"), ("b.md", 3, "메타러닝")]


def test_latin_names_match_whole_words_case_insensitively(tmp_path):
    vault = vault_of(
        tmp_path,
        {
            "maml.md": "---\ntitle: MAML\naliases: [model-agnostic meta-learning]\n---\nbody\n",
            "words.md": "# W\n\nWe use maml here.\n\nMAMLs and fomaml are not it.\n\nmaml_x no.\n",
            "korean.md": "# K\n\nMAML과 Reptile을 비교한다.\n",
            "alias.md": "# A\n\nThe Model-Agnostic Meta-Learning paper.\n",
        },
    )
    assert found(vault, "maml.md") == [
        ("alias.md", 3, "Model-Agnostic Meta-Learning"),
        ("korean.md", 3, "MAML"),
        ("words.md", 3, "maml"),
    ]


def test_code_links_and_urls_are_not_mentions(tmp_path):
    vault = vault_of(
        tmp_path,
        {
            "maml.md": "# MAML\n",
            "other.md": "# Other\n",
            "code.md": textwrap.dedent(
                """\
                # Code

                Inline `MAML` code is no mention.

                ```
                MAML in a fence
                ```

                A link to [[other|the MAML page]] hides it, so does https://x.org/MAML.

                    MAML in indented code

                But plain MAML on line 13 counts.
                """
            ),
        },
    )
    assert found(vault, "maml.md") == [("code.md", 13, "MAML")]


def test_a_note_that_links_to_the_target_is_not_listed(tmp_path):
    vault = vault_of(
        tmp_path,
        {
            "알고리즘/MAML.md": "# MAML\n",
            "linked.md": "# L\n\nMAML again, and [[MAML]].\n",
            "md-linked.md": "# M\n\nMAML via [the note](알고리즘/MAML.md).\n",
            "unlinked.md": "# U\n\nMAML only named.\n",
        },
    )
    assert found(vault, "알고리즘/MAML.md") == [("unlinked.md", 3, "MAML")]


def test_mention_carries_context_and_nearest_heading(tmp_path):
    vault = vault_of(
        tmp_path,
        {
            "일기.md": "---\ntitle: 오늘의 일기\n---\n본문\n",
            "x.md": "# X\n\n## 둘째 절\n\n어제 오늘의 일기를   썼다.\n",
        },
    )
    (mention,) = unlinked_mentions(vault.notes["일기.md"], vault.notes.values())
    assert mention.heading == "둘째 절"
    assert mention.context == "어제 오늘의 일기를 썼다."


def test_short_names_and_nfd_text(tmp_path):
    import unicodedata

    vault = vault_of(
        tmp_path,
        {
            "봄.md": "---\ntitle: 봄\naliases: [봄날]\n---\n",
            "nfd.md": "# N\n\n" + unicodedata.normalize("NFD", "따뜻한 봄날이다.") + "\n",
        },
    )
    assert mention_names(vault.notes["봄.md"]) == ["봄날"]  # one syllable is too short
    assert found(vault, "봄.md") == [("nfd.md", 3, "봄날")]


def test_many_near_misses_stay_linear(tmp_path):
    """A long line of almost-names: the cost grows with the text, not its square."""
    line = "MAMX " * 40_000
    vault = vault_of(tmp_path, {"maml.md": "# MAML\n", "big.md": f"# B\n\n{line}MAML\n"})
    started = time.perf_counter()
    assert found(vault, "maml.md") == [("big.md", 3, "MAML")]
    assert time.perf_counter() - started < 2.0


def test_limit_stops_reading_in_path_order(tmp_path):
    notes = {"maml.md": "# MAML\n"}
    for name in "dcba":
        notes[f"{name}.md"] = f"# {name}\n\nMAML once.\n\nMAML twice.\n"
    vault = vault_of(tmp_path, notes)
    target = vault.notes["maml.md"]
    everything = unlinked_mentions(target, reversed(list(vault.notes.values())))
    assert [(m.path, m.line) for m in everything] == [
        (f"{name}.md", line) for name in "abcd" for line in (3, 5)
    ]
    # More than 3 found: a and b read, c and d not.
    some = unlinked_mentions(target, reversed(list(vault.notes.values())), limit=3)
    assert [(m.path, m.line) for m in some] == [(m.path, m.line) for m in everything[:4]]
    assert unlinked_mentions(target, vault.notes.values(), limit=8) == everything
