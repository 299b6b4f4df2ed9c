"""The example vault in ``notes/`` stays a clean, connected showcase of the note format.

It is what ``make run`` opens, so it must load with no broken links, no footnote problems and
no invalid notes, hold both Korean and English notes, ask open questions in every note and
name each of the experiments in ``experiments/``. The vault is copied to a temporary folder
first, so the test never writes a cache (or anything else) into the repository's notes.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from notebase.core.vault import Vault

NOTES = Path(__file__).resolve().parents[1] / "notes"
EXPERIMENT_NAMES = {
    "meta-cost", "maml-sinusoid", "digits-fewshot", "imaml-sinusoid", "first-order", "cost-claims",
}
EXPERIMENTS = NOTES.parent / "experiments"
HANGUL = re.compile(r"[\uac00-\ud7a3]")
LATIN = re.compile(r"[A-Za-z]")
SOURCES_HEADING = re.compile(r"^## (출처|Sources)\s*$", re.MULTILINE)


@pytest.fixture(scope="module")
def vault_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("example") / "notes"
    shutil.copytree(NOTES, copy, ignore=shutil.ignore_patterns(".notebase"))
    return copy


@pytest.fixture(scope="module")
def vault(vault_copy: Path) -> Vault:
    return Vault.load(vault_copy)


def _prose(body: str) -> str:
    """The note's own text: everything before its sources (whose entries are mostly English)."""
    match = SOURCES_HEADING.search(body)
    return body[: match.start()] if match else body


def _is_korean(body: str) -> bool:
    prose = _prose(body)
    return len(HANGUL.findall(prose)) > len(LATIN.findall(prose))


def test_vault_has_eight_to_twelve_valid_notes(vault: Vault) -> None:
    assert 8 <= len(vault.notes) <= 12
    invalid = {path: note.errors for path, note in vault.notes.items() if not note.valid}
    assert invalid == {}


def test_check_is_clean(vault: Vault) -> None:
    report = vault.check()
    assert report["notes"] == len(vault.notes)
    problems = {key: value for key, value in report.items() if key != "notes" and value}
    assert problems == {}


def test_cli_check_is_clean(vault_copy: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "notebase", "--vault", str(vault_copy), "check", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["notes"] == len(list(vault_copy.rglob("*.md")))
    assert {key: value for key, value in report.items() if key != "notes" and value} == {}


def test_every_note_links_to_another_and_is_linked_back(vault: Vault) -> None:
    for path, note in vault.notes.items():
        targets = {link.resolved for link in note.links if link.resolved and not link.experiment}
        assert targets - {path}, f"{path} links to no other note"
        assert vault.backlinks(path), f"no note links to {path}"


def test_link_forms_of_the_format_are_all_used(vault: Vault) -> None:
    links = [link for note in vault.notes.values() for link in note.links if not link.experiment]
    assert any(link.heading for link in links), "no [[note#heading]] link"
    assert any(link.label for link in links), "no [[note|label]] link"
    aliases = {alias for note in vault.notes.values() for alias in note.aliases}
    assert any(link.target in aliases for link in links), "no link through an alias"


def test_each_experiment_is_named_by_some_note(vault: Vault) -> None:
    named: set[str] = set()
    for note in vault.notes.values():
        named.update(note.experiments)
        named.update(name for question in note.questions for name in question.experiments)
    assert EXPERIMENT_NAMES <= named


def test_korean_and_english_notes_are_both_present(vault: Vault) -> None:
    korean = [path for path, note in vault.notes.items() if _is_korean(note.body)]
    english = [path for path, note in vault.notes.items() if not _is_korean(note.body)]
    assert len(korean) >= 5
    assert len(english) >= 2


def test_every_note_asks_two_to_four_questions(vault: Vault) -> None:
    for path, note in vault.notes.items():
        assert 2 <= len(note.questions) <= 4, f"{path}: {len(note.questions)} questions"
        assert all(question.text.strip() for question in note.questions)


def test_every_note_cites_sources_with_a_year(vault: Vault) -> None:
    for path, note in vault.notes.items():
        assert note.footnotes, f"{path} cites nothing"
        for footnote in note.footnotes:
            assert footnote.references >= 1
            assert footnote.citation.year is not None, f"{path} [^{footnote.label}]"
            assert 1990 <= footnote.citation.year <= 2025


CITED_WORKS = {
    "finn2017model": 4,  # MAML: at least four notes cite it
    "nichol2018first": 3,  # Reptile: two footnotes and one [@key]
    "rajeswaran2019meta": 2,  # iMAML: a footnote and a [@key, sec. 3]
    "raghu2020rapid": 1,  # ANIL
    "ravi2017optimization": 1,
    "antoniou2019train": 2,  # MAML++
    "vinyals2016matching": 1,
    "snell2017prototypical": 1,
    "lake2015human": 1,
    "hospedales2021meta": 1,
    "griewank2008evaluating": 2,
    "pearlmutter1994fast": 1,
    "chen2016training": 1,
    "li2020pytorch": 1,
}
"""Every work the example vault cites, with how many citations it has at least."""


def test_cli_citations_lists_each_paper_once_as_the_bibliography_has_it(vault_copy: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "notebase", "--vault", str(vault_copy), "citations", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stderr == ""
    works = json.loads(done.stdout)
    assert sorted(w["key"] for w in works) == sorted(CITED_WORKS)
    assert all(len(w["cited_by"]) >= CITED_WORKS[w["key"]] for w in works)
    titles = [re.sub(r"\W", "", w["title"]).casefold() for w in works]
    assert len(set(titles)) == len(works) == len(CITED_WORKS)
    for work in works:
        assert work["in_bibliography"], work["key"]
        assert work["conflicts"] == [] and work["misattributions"] == [], work["key"]
    pandoc = [c for w in works for c in w["cited_by"] if c["label"].startswith("@")]
    assert {(c["note"], c["label"]) for c in pandoc} == {
        ("알고리즘/ANIL.md", "@nichol2018first"),
        ("알고리즘/ANIL.md", "@rajeswaran2019meta"),
    }


def test_tags_include_nested_and_korean_ones(vault: Vault) -> None:
    tags = {tag for note in vault.notes.values() for tag in note.tags}
    assert {"ml/meta-learning", "ml/meta-learning/maml", "미완", "초안"} <= tags


def test_published_results_answer_the_cost_question(vault: Vault) -> None:
    """The committed full run of the inner-steps sweep sits in the hub note, answers its
    first question, and its plot is committed beside it."""
    hub = vault.find("메타러닝의 계산 비용")
    (block,) = [b for b in hub.results_blocks if b.experiment == "meta-cost"]
    assert block.end_line > block.start_line and block.run_id
    answered = {q.number: q for q in hub.questions if q.status == "answered"}
    assert answered and all(q.answered_by == block.run_id for q in answered.values())
    plot = vault.root / "attachments" / f"meta-cost-{block.run_id}.png"
    assert plot.is_file() and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The sweep's point: second-order MAML's memory grows with inner steps, FOMAML's does not.
    text = (vault.root / hub.path).read_text(encoding="utf-8")
    rows = re.findall(r"^\| (maml|fomaml) \| (\d+) \|.*?\| ([\d.]+) (KiB|MiB)", text, re.M)
    scale = {"KiB": 1, "MiB": 1024}
    memory = {(a, int(k)): float(v) * scale[u] for a, k, v, u in rows}
    maml_growth = memory[("maml", 10)] - memory[("maml", 1)]
    fomaml_growth = memory[("fomaml", 10)] - memory[("fomaml", 1)]
    assert memory[("maml", 10)] > 3 * memory[("maml", 1)]
    assert maml_growth > 5 * fomaml_growth
    assert memory[("fomaml", 10)] < 2 * memory[("fomaml", 1)]


def test_published_blocks_answer_in_words(vault: Vault) -> None:
    """The hub's meta-cost block says what it found, in Korean, with figures: MAML's peak
    memory grows linearly with inner steps, FOMAML's does not grow; its first question is
    answered with that one-line answer."""
    hub = vault.find("메타러닝의 계산 비용")
    (block,) = [b for b in hub.results_blocks if b.experiment == "meta-cost"]
    assert block.status == "answered" and block.summary
    assert re.match(r"maml: 최대 메모리 선형 \(\+\d+ KiB/스텝\)", block.summary), block.summary
    q1 = hub.questions[0]
    assert (q1.status, q1.answered_by, q1.summary) == ("answered", block.run_id, block.summary)
    text = (vault.root / hub.path).read_text(encoding="utf-8")
    assert "\n**발견**\n" in text
    assert re.search(r"^- maml: 최대 메모리: 내부 스텝 수에 따라 선형으로 늘어난다, \+\d+ KiB/스텝 "
                     r"\(선형 모형이 지수 모형보다 [>\d,.]+배 잘 맞음, 점 4개\)", text, re.M)
    assert re.search(r"^- maml/fomaml: 반복당 시간 [\d.]+–[\d.]+배, 최대 메모리 ", text, re.M)


def test_the_claims_note_gets_its_claims_checked(vault_copy: Path) -> None:
    """The note that makes the two common claims points a sentence at each claim of
    cost-claims; the published full run rejects exponential growth of MAML's memory, and
    show --json carries every verdict with the sentences that point at it."""
    from notebase.experiments.spec import find_spec

    spec = find_spec(EXPERIMENTS, "cost-claims")
    ids = [claim["id"] for claim in spec.claims]
    assert ids == ["memory-explodes", "time-explodes", "twice-fomaml"]
    done = subprocess.run(
        [sys.executable, "-m", "notebase", "--vault", str(vault_copy), "--experiments",
         str(EXPERIMENTS), "show", "메타러닝 비용에 대한 두 주장", "--json"],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    (block,) = [b for b in shown["results_blocks"] if b["experiment"] == "cost-claims"]
    assert block["status"] == "answered"
    claims = {claim["id"]: claim for claim in block["claims"]}
    assert list(claims) == ids
    assert claims["memory-explodes"]["verdict"] == "not-supported"
    for claim in claims.values():
        assert claim["text"] and claim["sentences"], claim
        assert all(f"[[experiments/cost-claims#{claim['id']}]]" in s["text"]
                   for s in claim["sentences"])
    questions = shown["questions"]
    assert [q["status"] for q in questions[:2]] == ["answered", "answered"]
    assert questions[2]["status"] == "open"


def test_published_runs_are_full_runs_with_their_current_plots(vault: Vault) -> None:
    """No quick run is published, and the attachments hold exactly the plots the blocks
    embed (superseded plots are removed)."""
    embedded = set()
    for note in vault.notes.values():
        text = (vault.root / note.path).read_text(encoding="utf-8")
        for block in note.results_blocks:
            lines = text.split("\n")[block.start_line - 1 : block.end_line]
            assert not any("· quick run" in line for line in lines), note.path
            embedded.update(re.findall(r"!\[\[attachments/([^\]]+\.png)\]\]", "\n".join(lines)))
    plots = {path.name for path in (vault.root / "attachments").glob("*.png")}
    assert plots == embedded
