"""`notebase show | tags | questions | check`: JSON contracts, text output, user errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from notebase.cli import main


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    write(
        root,
        "ml/maml.md",
        """---
title: MAML의 비용
tags: [ml/meta, 미완]
aliases: [MAML]
created: 2025-01-02
experiments: [meta-cost]
---
# MAML의 비용

2차 미분이 필요하다[^1]. [[ml/reptile|Reptile]]과 비교, [[없는 노트]], ![[그림.png]].

## 질문 & 확장

1. 내부 스텝이 늘면 메모리는? [[experiments/meta-cost]]
2. FOMAML은 얼마나 빠른가?

<!-- notebase:results experiment=meta-cost run=run-7 spec=ab12 answers=2 hash=109383e344db -->
결과
<!-- /notebase:results -->

## 출처

[^1]: Finn, Chelsea, Pieter Abbeel, and Sergey Levine. "Model-agnostic meta-learning." *ICML*, 2017.
[^2]: Nichol, A. (2018). On first-order meta-learning algorithms. *arXiv*.
""",
    )
    write(
        root, "ml/reptile.md", "---\ntags: [ml/meta/reptile]\n---\n# Reptile\n[[MAML]] 참고[^x].\n"
    )
    write(root, "broken.md", "---\ntitle: [oops\n---\n")
    return root


NO_SPECS = ("--experiments", "/nonexistent-notebase-specs")
"""No experiments folder: nothing to compare a block's spec with, so no block is stale
(with the repository's specs the fixture's made-up ``spec=ab12`` would be)."""


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_show_json_contract(vault, capsys):
    code, out, err = run(capsys, "--vault", str(vault), *NO_SPECS, "show", "MAML", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    required = {
        "path",
        "title",
        "tags",
        "aliases",
        "created",
        "experiments",
        "links",
        "backlinks",
        "footnotes",
        "undefined_footnotes",
        "questions",
        "errors",
    }
    assert required <= data.keys()
    assert data["path"] == "ml/maml.md" and data["title"] == "MAML의 비용"
    assert data["tags"] == ["ml/meta", "미완"] and data["aliases"] == ["MAML"]
    assert data["created"] == "2025-01-02" and data["experiments"] == ["meta-cost"]
    links = [
        {k: link[k] for k in ("target", "heading", "label", "embed", "resolved")}
        for link in data["links"]
    ]
    assert links == [
        {
            "target": "ml/reptile",
            "heading": None,
            "label": "Reptile",
            "embed": False,
            "resolved": "ml/reptile.md",
        },
        {"target": "없는 노트", "heading": None, "label": None, "embed": False, "resolved": None},
        {"target": "그림.png", "heading": None, "label": None, "embed": True, "resolved": None},
        {
            "target": "experiments/meta-cost",
            "heading": None,
            "label": None,
            "embed": False,
            "resolved": None,
        },
    ]
    assert data["backlinks"] == ["ml/reptile.md"]
    first = data["footnotes"][0]
    assert {k: first[k] for k in ("label", "references")} == {"label": "1", "references": 1}
    assert first["citation"] == {
        "authors": ["Chelsea Finn", "Pieter Abbeel", "Sergey Levine"],
        "title": "Model-agnostic meta-learning",
        "venue": "ICML",
        "year": 2017,
    }
    assert data["footnotes"][1]["citation"]["year"] == 2018
    assert data["undefined_footnotes"] == []
    questions = [
        {k: q[k] for k in ("id", "number", "text", "experiments", "status")}
        for q in data["questions"]
    ]
    assert questions == [
        {
            "id": "ml/maml.md#q1",
            "number": 1,
            "text": "내부 스텝이 늘면 메모리는? [[experiments/meta-cost]]",
            "experiments": ["meta-cost"],
            "status": "open",
        },
        {
            "id": "ml/maml.md#q2",
            "number": 2,
            "text": "FOMAML은 얼마나 빠른가?",
            "experiments": [],
            "status": "answered",
        },
    ]
    assert data["questions"][1]["answered_by"] == "run-7"
    assert data["errors"] == []


def test_show_text_and_other_references(vault, capsys):
    for ref in ("ml/maml.md", "ml/maml", "maml", "MAML의 비용"):
        code, out, _ = run(capsys, "--vault", str(vault), *NO_SPECS, "show", ref)
        assert code == 0 and out.startswith("MAML의 비용  (ml/maml.md)")
    assert "broken" in out and "ml/reptile.md" in out and "q2 [answered]" in out


def test_an_answer_whose_spec_changed_is_stale(vault, tmp_path, capsys):
    """The block was run with ``spec=ab12``; the meta-cost spec here hashes otherwise."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "meta-cost.toml").write_text('task = "sinusoid"\nalgorithms = ["maml"]\n')
    _, out, _ = run(capsys, "--vault", str(vault), "--experiments", str(specs), "show", "MAML")
    assert "q2 [stale] FOMAML은 얼마나 빠른가?  (run run-7)" in out
    _, out, _ = run(capsys, "--vault", str(vault), "--experiments", str(specs), "questions", "--open")
    assert "q1 [open]" in out and "q2 [stale]" in out


def test_show_invalid_note_lists_its_error(vault, capsys):
    code, out, _ = run(capsys, "--vault", str(vault), "show", "broken", "--json")
    data = json.loads(out)
    assert code == 0 and data["valid"] is False and "broken YAML" in data["errors"][0]


def test_tags_json_counts_parents(vault, capsys):
    code, out, _ = run(capsys, "--vault", str(vault), "tags", "--json")
    assert code == 0
    assert json.loads(out) == [
        {"tag": "ml", "count": 2},
        {"tag": "ml/meta", "count": 2},
        {"tag": "ml/meta/reptile", "count": 1},
        {"tag": "미완", "count": 1},
    ]
    _, text, _ = run(capsys, "--vault", str(vault), "tags")
    assert text.splitlines()[0] == "2  #ml"


def test_questions_json_and_open_filter(vault, capsys):
    code, out, _ = run(capsys, "--vault", str(vault), *NO_SPECS, "questions", "--json")
    data = json.loads(out)
    assert code == 0
    assert [(q["note"], q["id"], q["status"], q["answered_by"]) for q in data] == [
        ("ml/maml.md", "ml/maml.md#q1", "open", None),
        ("ml/maml.md", "ml/maml.md#q2", "answered", "run-7"),
    ]
    assert {"note", "id", "number", "text", "experiments", "status"} <= data[0].keys()
    _, out, _ = run(capsys, "--vault", str(vault), *NO_SPECS, "questions", "--open", "--json")
    assert [q["id"] for q in json.loads(out)] == ["ml/maml.md#q1"]
    _, text, _ = run(capsys, "--vault", str(vault), *NO_SPECS, "questions", "--open")
    assert "q1 [open]" in text and "q2" not in text


def test_check_json_contract_and_exit_codes(vault, capsys):
    code, out, _ = run(capsys, "--vault", str(vault), "check", "--json")
    data = json.loads(out)
    assert code == 0
    assert data["notes"] == 3
    assert [(b["note"], b["target"]) for b in data["broken_links"]] == [("ml/maml.md", "없는 노트")]
    assert [(m["note"], m["target"]) for m in data["missing_attachments"]] == [
        ("ml/maml.md", "그림.png")
    ]
    assert data["undefined_footnotes"] == [{"note": "ml/reptile.md", "label": "x"}]
    assert data["unused_footnotes"] == [{"note": "ml/maml.md", "label": "2"}]
    assert [i["note"] for i in data["invalid_notes"]] == ["broken.md"]
    code, text, _ = run(capsys, "--vault", str(vault), "check")
    assert code == 0 and text.rstrip().endswith(
        "3 notes: 1 invalid notes, 1 broken links, 1 missing attachments, 1 undefined footnotes, "
        "1 unused footnotes, 0 results marker problems, 1 stale results, 0 citation conflicts, "
        "0 misattributions, 0 unknown citation keys, 0 bibliography problems"
    )
    assert "ml/maml.md:10: broken link to '없는 노트'" in text
    assert run(capsys, "--vault", str(vault), "check", "--strict")[0] == 1


def test_user_errors_are_one_line_exit_2(vault, tmp_path, capsys):
    code, out, err = run(capsys, "--vault", str(tmp_path / "nowhere"), "check")
    assert (
        code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "does not exist" in err
    )
    code, out, err = run(capsys, "--vault", str(vault), "show", "없는 노트")
    assert code == 2 and err.strip() == f"notebase: no note named '없는 노트' in {vault}"


def test_vault_from_environment_and_the_real_entry_point(vault, tmp_path):
    env = {"NOTEBASE_VAULT": str(vault), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "notebase", "show", "reptile", "--json"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["backlinks"] == ["ml/maml.md"]
    done = subprocess.run(
        [sys.executable, "-m", "notebase", "--vault", "nope", "tags"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_check_on_the_korean_obsidian_help_vault(shared_dir, tmp_path, capsys):
    source = shared_dir / "corpora" / "obsidian-help-ko"
    if not source.is_dir():
        pytest.skip(f"{source} is not present")
    root = tmp_path / "ko"
    shutil.copytree(source, root)  # the CLI writes its cache: never into ../shared
    code, out, _ = run(capsys, "--vault", str(root), "check", "--json")
    data = json.loads(out)
    assert code == 0 and data["notes"] == 173 and data["invalid_notes"] == []
    assert len(data["broken_links"]) == 9
