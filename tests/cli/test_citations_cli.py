"""`notebase citations`, the citation part of `check`, and `search cite:` on real files."""

from __future__ import annotations

import json
from pathlib import Path

import bibtexparser
import pytest

from notebase.cli import main

BIB = """@inproceedings{ravi2017optimization,
  title = {Optimization as a Model for Few-Shot Learning},
  author = {Ravi, Sachin and Larochelle, Hugo},
  booktitle = {International Conference on Learning Representations},
  year = {2017}
}

@inproceedings{finn2017model,
  title = {Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks},
  author = {Finn, Chelsea and Abbeel, Pieter and Levine, Sergey},
  booktitle = {International Conference on Machine Learning},
  year = {2017}
}

@article{hospedales2021meta,
  title = {Meta-Learning in Neural Networks: A Survey},
  author = {Hospedales, Timothy and Antoniou, Antreas and Micaelli, Paul and Storkey, Amos},
  journal = {IEEE Transactions on Pattern Analysis and Machine Intelligence},
  year = {2021}
}
"""
NOTES = {
    "알고리즘/MAML.md": """# MAML

내부 루프의 그라디언트를 외부 루프에서 다시 쓴다[^1]. 자세한 비교는 [@finn2017model, p. 3].

## 출처

[^1]: Finn et al., 2017, *Model-Agnostic Meta-Learning*.
""",
    "계산도.md": """# 메타 러닝의 계산도

최적화 구조가 비싸다[^3]. 암묵적 미분도 있다[^5]. 없는 키 [@nokey2020].

## 출처

[^3]: Bengio, Yoshua, et al. "Optimization as a model for few-shot learning." *International Conference on Learning Representations (ICLR)*, 2019.
[^5]: Rajeswaran, Aravind, et al. "Meta-learning with implicit gradients." *NeurIPS*, 2019.
""",
    "few-shot.md": """# Few-shot

LSTM meta-learner[^4]; implicit gradients[^2]; [[알고리즘/MAML]].

## Sources

[^4]: Ravi, S., & Larochelle, H. (2017). Optimization as a Model for Few-Shot Learning. ICLR.
[^2]: Rajeswaran, A., Finn, C., Kakade, S., & Levine, S. (2017). Meta-Learning with Implicit Gradients. NeurIPS.
""",
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "notes"
    for rel, text in NOTES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "references.bib").write_text(BIB, encoding="utf-8")
    return root


def test_json_lists_each_work_once_with_who_cites_it(vault, capsys):
    code, out, err = run(capsys, "--vault", str(vault), "citations", "--json")
    assert code == 0 and err == ""
    works = {w["key"]: w for w in json.loads(out)}
    assert sorted(works) == [
        "finn2017model",
        "hospedales2021meta",
        "rajeswaran2017meta",  # two years, one citation each: the first note's by path
        "ravi2017optimization",
    ]
    finn = works["finn2017model"]
    assert set(finn) == {
        "key", "authors", "title", "venue", "year", "cited_by", "conflicts", "misattributions",
        "in_bibliography",
    }  # fmt: skip
    assert finn["cited_by"] == [  # a footnote's line is its definition's
        {"note": "알고리즘/MAML.md", "label": "@finn2017model", "line": 3},
        {"note": "알고리즘/MAML.md", "label": "1", "line": 7},
    ]
    assert works["hospedales2021meta"]["cited_by"] == []
    imaml = works["rajeswaran2017meta"]
    assert imaml["in_bibliography"] is False and imaml["misattributions"] == []
    assert imaml["conflicts"] == [
        {
            "field": "year",
            "values": [
                {
                    "value": 2017,
                    "notes": ["few-shot.md"],
                    "cited_by": [{"note": "few-shot.md", "label": "2", "line": 8}],
                    "bibliography": False,
                },
                {
                    "value": 2019,
                    "notes": ["계산도.md"],
                    "cited_by": [{"note": "계산도.md", "label": "5", "line": 8}],
                    "bibliography": False,
                },
            ],
        }
    ]
    ravi = works["ravi2017optimization"]
    assert [
        (m["note"], m["field"], m["cited"], m["bibliography"]) for m in ravi["misattributions"]
    ] == [
        ("계산도.md", "first_author", "Yoshua Bengio", "Sachin Ravi"),
        ("계산도.md", "year", 2019, 2017),
    ]


def test_text_and_conflicts_only(vault, capsys):
    code, out, _ = run(capsys, "--vault", str(vault), "citations")
    assert code == 0
    assert "hospedales2021meta  Timothy Hospedales, Antreas Antoniou" in out
    assert "    cited nowhere" in out
    assert "    알고리즘/MAML.md:3 @finn2017model" in out
    assert (
        '  ! misattributed in 계산도.md:7 [^3]: first author "Yoshua Bengio", but references.bib '
        '(ravi2017optimization) says "Sachin Ravi"'
    ) in out
    assert "  ! conflict, year: 2017 (few-shot.md); 2019 (계산도.md)" in out
    assert out.rstrip().endswith(
        "3 works cited in 3 notes; 3 conflicts, 2 misattributions; 1 entries of references.bib "
        "cited nowhere; 1 unknown citation keys (see `notebase check`)"
    )
    code, out, _ = run(capsys, "--vault", str(vault), "citations", "--conflicts", "--json")
    assert [w["key"] for w in json.loads(out)] == ["rajeswaran2017meta", "ravi2017optimization"]


def test_bibtex_is_a_file_bibtexparser_reads_back(vault, capsys):
    code, out, _ = run(capsys, "--vault", str(vault), "citations", "--bibtex")
    assert code == 0
    library = bibtexparser.parse_string(out)
    assert library.failed_blocks == []
    assert [e.key for e in library.entries] == [
        "finn2017model",
        "hospedales2021meta",
        "rajeswaran2017meta",
        "ravi2017optimization",
    ]
    assert "@article{hospedales2021meta,\n  title = {Meta-Learning in Neural Networks" in out
    imaml = library.entries[2]
    assert (imaml.entry_type, imaml.fields_dict["booktitle"].value) == ("inproceedings", "NeurIPS")
    assert (
        imaml.fields_dict["author"].value
        == "Rajeswaran, A. and Finn, C. and Kakade, S. and Levine, S."
    )


def test_check_reports_misattributions_conflicts_and_unknown_keys(vault, capsys):
    code, out, _ = run(capsys, "--vault", str(vault), "check", "--json")
    report = json.loads(out)
    assert code == 0
    assert [(m["note"], m["key"], m["field"]) for m in report["misattributions"]] == [
        ("계산도.md", "ravi2017optimization", "first_author"),
        ("계산도.md", "ravi2017optimization", "year"),
    ]
    assert [(c["key"], c["field"]) for c in report["citation_conflicts"]] == [
        ("rajeswaran2017meta", "year")
    ]
    assert report["unknown_citation_keys"] == [{"note": "계산도.md", "key": "nokey2020", "line": 3}]
    assert report["bibliography_problems"] == []
    code, out, _ = run(capsys, "--vault", str(vault), "check")
    assert "계산도.md:3: unknown citation key @nokey2020" in out
    assert (
        "citations of rajeswaran2017meta disagree on the year: 2017 (few-shot.md); 2019 (계산도.md)"
        in out
    )
    assert run(capsys, "--vault", str(vault), "check", "--strict")[0] == 1


def test_a_broken_bib_is_one_message_and_the_vault_is_still_read(vault, capsys):
    (vault / "references.bib").write_text(
        BIB + "\n@article{broken,\n  title = {oops\n", encoding="utf-8"
    )
    line = BIB.count("\n") + 2
    problem = f"references.bib: 1 entry could not be read (line {line}: Unexpectedly reached end of file.)"
    code, out, err = run(capsys, "--vault", str(vault), "citations", "--json")
    assert code == 0
    assert err.splitlines() == [f"notebase: {problem}"]
    assert len(json.loads(out)) == 4
    code, out, _ = run(capsys, "--vault", str(vault), "check", "--json")
    report = json.loads(out)
    assert report["bibliography_problems"] == [{"file": "references.bib", "problem": problem}]
    assert len(report["misattributions"]) == 2 and report["notes"] == 3


def test_user_mistakes_are_one_line_exit_2(vault, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--vault", str(vault), "citations", "--json", "--bibtex"])
    out, err = capsys.readouterr()
    assert caught.value.code == 2 and out == "" and len(err.strip().splitlines()) == 1
    (vault / ".notebase.toml").write_text('bibliography = "../elsewhere.bib"\n', encoding="utf-8")
    code, out, err = run(capsys, "--vault", str(vault), "citations")
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "bibliography must be a path inside the vault" in err


def test_text_output_escapes_what_a_terminal_acts_on(vault, capsys):
    (vault / "references.bib").write_text(
        BIB.replace("A Survey", "A Survey\x1b]0;pwned\x07"), encoding="utf-8"
    )
    for args in ((), ("--bibtex",)):
        _, out, _ = run(capsys, "--vault", str(vault), "citations", *args)
        assert "\x1b" not in out and "\x07" not in out and "\\x1b]0;pwned\\x07" in out


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("cite:Abbeel", ["알고리즘/MAML.md"]),  # the note names only "Finn et al." and a key
        ("cite:Chelsea", ["알고리즘/MAML.md"]),  # a given name alone: as spelled
        ('cite:"Chelsea Finn"', ["few-shot.md", "계산도.md", "알고리즘/MAML.md"]),  # iMAML too
        ('cite:"Sachin Ravi"', ["few-shot.md", "계산도.md"]),  # 계산도.md misattributes it
        ("cite:Bengio", ["few-shot.md", "계산도.md"]),  # the spelling joined to Ravi's work
        ("cite:ravi2017optimization", ["few-shot.md", "계산도.md"]),
        ("cite:Levine -cite:Kakade", ["알고리즘/MAML.md"]),
        ("cite:Hospedales", []),  # in the bibliography, cited nowhere
    ],
)
def test_search_cite_finds_notes_under_every_spelling_the_works_joined(
    vault, capsys, query, expected
):
    code, out, _ = run(capsys, "--vault", str(vault), "search", "--json", query)
    assert code == 0
    assert sorted(hit["path"] for hit in json.loads(out)) == expected


def test_show_lists_a_notes_pandoc_citations(vault, capsys):
    code, out, _ = run(capsys, "--vault", str(vault), "show", "--json", "알고리즘/MAML")
    assert code == 0
    assert json.loads(out)["citekeys"] == [
        {"key": "finn2017model", "line": 3, "locator": "p. 3", "bracketed": True}
    ]
    _, out, _ = run(capsys, "--vault", str(vault), "show", "알고리즘/MAML")
    assert "     3  @finn2017model, p. 3" in out
