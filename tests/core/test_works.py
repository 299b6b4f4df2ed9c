"""Works: citations grouped across a vault of real files (Korean notes), conflicts, the
bibliography as authority, pandoc keys, stable keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from notebase.core.vault import Vault
from notebase.core.works import Works, vault_works

MAML_CHICAGO = (
    'Finn, Chelsea, Pieter Abbeel, and Sergey Levine. "Model-agnostic meta-learning for fast '
    'adaptation of deep networks." *International Conference on Machine Learning (ICML)*, 2017.'
)
MAML_APA = (
    "Finn, C., Abbeel, P., & Levine, S. (2017). Model-Agnostic Meta-Learning for Fast "
    "Adaptation of Deep Networks. In *Proceedings of the 34th ICML*."
)
MAML_SHORT = "Finn et al., 2017, *Model-Agnostic Meta-Learning*."
RAVI = (
    "Ravi, S., & Larochelle, H. (2017). Optimization as a Model for Few-Shot Learning. "
    "International Conference on Learning Representations (ICLR)."
)
BENGIO = (
    'Bengio, Yoshua, et al. "Optimization as a model for few-shot learning." '
    "*International Conference on Learning Representations (ICLR)*, 2019."
)
TIANQI = (
    'Chen, Tianqi, et al. "Learning to learn without gradient descent by gradient descent." '
    "*International Conference on Machine Learning (ICML)*, 2017."
)
BIB = """@inproceedings{ravi2017optimization,
  title = {Optimization as a Model for Few-Shot Learning},
  author = {Ravi, Sachin and Larochelle, Hugo},
  booktitle = {International Conference on Learning Representations},
  year = {2017}
}

@inproceedings{chen2017learning,
  title = {Learning to Learn without Gradient Descent by Gradient Descent},
  author = {Chen, Yutian and Hoffman, Matthew W. and Colmenarejo, Sergio G{\\'o}mez and
            Denil, Misha and Lillicrap, Timothy P. and Botvinick, Matt and de Freitas, Nando},
  booktitle = {International Conference on Machine Learning},
  year = {2017}
}

@article{vinyals2016matching,
  title = {Matching Networks for One Shot Learning},
  author = {Vinyals, Oriol and Blundell, Charles and Lillicrap, Timothy and Wierstra, Daan},
  journal = {Advances in Neural Information Processing Systems},
  year = {2016}
}
"""


def note(title: str, body: str, sources: dict[str, str]) -> str:
    refs = " ".join(f"[^{label}]" for label in sources)
    definitions = "\n".join(f"[^{label}]: {text}" for label, text in sources.items())
    return f"---\ntags: [ml/meta]\n---\n# {title}\n\n{body} {refs}\n\n## 출처\n\n{definitions}\n"


def build(tmp_path: Path, notes: dict[str, str], bib: str | None = None) -> Works:
    root = tmp_path / "vault"
    for rel, text in notes.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if bib is not None:
        (root / "references.bib").write_text(bib, encoding="utf-8")
    vault = Vault.load(root, use_cache=False)
    return vault_works(vault.root, vault.config, vault.notes.values())


def test_one_paper_in_three_styles_across_notes_is_one_work(tmp_path):
    works = build(
        tmp_path,
        {
            "알고리즘/MAML.md": note("MAML", "내부 루프와 외부 루프.", {"1": MAML_CHICAGO}),
            "메타러닝의 계산 비용.md": note("계산 비용", "2차 미분이 비싸다.", {"a": MAML_APA}),
            "요약.md": note("요약", "짧게 인용.", {"s": MAML_SHORT}),
        },
    )
    (work,) = works.works
    assert work.key == "finn2017model"
    # The fullest title, as the first note by path writes it.
    assert work.title == "Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks"
    assert work.authors == ("Chelsea Finn", "Pieter Abbeel", "Sergey Levine")
    assert work.year == 2017
    assert [(c.note, c.label) for c in work.cited_by] == [
        ("메타러닝의 계산 비용.md", "a"),
        ("알고리즘/MAML.md", "1"),
        ("요약.md", "s"),
    ]
    assert work.cited_by[1].line == 10
    assert work.conflicts == [] and not work.in_bibliography


def test_similar_titles_stay_apart_and_a_typo_joins(tmp_path):
    imaml = 'Rajeswaran, Aravind, et al. "Meta-learning with implicit gradients." *NeurIPS*, 2019.'
    r2d2 = (
        "Bertinetto, L., Henriques, J. F., Torr, P., & Vedaldi, A. (2019). Meta-learning with "
        "differentiable closed-form solvers. *ICLR*."
    )
    first = 'Nichol, Alex, et al. "On first-order meta-learning algorithms." *arXiv*, 2018.'
    second = 'Nichol, Alex, et al. "On second-order meta-learning algorithms." *arXiv*, 2018.'
    typo = 'Rajeswaran, A., et al. "Meta-learning with implicit gradient." *NeurIPS*, 2019.'
    works = build(
        tmp_path,
        {
            "a.md": note("A", "암묵적 미분.", {"1": imaml, "2": r2d2}),
            "b.md": note("B", "1차 근사.", {"1": first, "2": second, "3": typo}),
        },
    )
    by_key = {w.key: [(c.note, c.label) for c in w.cited_by] for w in works.works}
    assert by_key == {
        "bertinetto2019meta": [("a.md", "2")],
        "nichol2018first": [("b.md", "1")],
        "nichol2018second": [("b.md", "2")],
        "rajeswaran2019meta": [("a.md", "1"), ("b.md", "3")],
    }


def test_two_books_of_the_same_title_by_other_authors_years_and_venues_are_two_works(tmp_path):
    lecun = 'LeCun, Yann, Yoshua Bengio, and Geoffrey Hinton. "Deep learning." *Nature*, 2015.'
    goodfellow = (
        "Goodfellow, Ian, Yoshua Bengio, and Aaron Courville. *Deep Learning*. MIT Press, 2016."
    )
    works = build(tmp_path, {"a.md": note("A", "딥러닝.", {"1": lecun, "2": goodfellow})})
    assert sorted(w.key for w in works.works) == ["goodfellow2016deep", "lecun2015deep"]
    assert all(not w.conflicts for w in works.works)


def test_wrong_first_author_and_wrong_year_are_conflicts_naming_both_versions(tmp_path):
    works = build(
        tmp_path,
        {
            "few-shot.md": note("Few-shot", "LSTM 메타 학습기.", {"4": RAVI}),
            "계산도.md": note("계산도", "최적화 구조의 문제.", {"3": BENGIO}),
        },
    )
    (work,) = works.works
    conflicts = {c.field: [(v.value, v.notes) for v in c.values] for c in work.conflicts}
    assert conflicts == {
        "first_author": [("S. Ravi", ["few-shot.md"]), ("Yoshua Bengio", ["계산도.md"])],
        "year": [(2017, ["few-shot.md"]), (2019, ["계산도.md"])],
    }
    # No bibliography: no version wins.
    assert not any(v.bibliography for c in work.conflicts for v in c.values)
    report = works.check()
    assert [(c["key"], c["field"]) for c in report["citation_conflicts"]] == [
        (work.key, "first_author"),
        (work.key, "year"),
    ]


def test_author_lists_conflict_when_first_authors_agree(tmp_path):
    right = (
        'Snell, Jake, Kevin Swersky, and Richard Zemel. "Prototypical networks." *NeurIPS*, 2017.'
    )
    wrong = 'Snell, J., and Hinton, G. "Prototypical Networks." *NeurIPS*, 2017.'
    partial = 'Snell, J., et al. "Prototypical networks." *NeurIPS*, 2017.'
    works = build(
        tmp_path,
        {
            "a.md": note("A", "원형.", {"1": right}),
            "b.md": note("B", "원형.", {"1": wrong, "2": partial}),
        },
    )
    (work,) = works.works
    (conflict,) = work.conflicts
    assert conflict.field == "authors"
    assert [(v.value, [c.label for c in v.where]) for v in conflict.values] == [
        (["Jake Snell", "Kevin Swersky", "Richard Zemel"], ["1", "2"]),  # "et al." agrees
        (["J. Snell", "G. Hinton"], ["1"]),
    ]


def test_the_bibliography_flags_misattributions_and_marks_the_right_version(tmp_path):
    works = build(
        tmp_path,
        {
            "few-shot.md": note("Few-shot", "LSTM 메타 학습기.", {"4": RAVI}),
            "계산도.md": note("계산도", "계산 비용.", {"3": BENGIO, "4": TIANQI}),
        },
        bib=BIB,
    )
    ravi = works.get("ravi2017optimization")
    assert ravi.in_bibliography and ravi.authors == ("Sachin Ravi", "Hugo Larochelle")
    assert [
        (m.where.note, m.where.label, m.field, m.cited, m.bibliography)
        for m in ravi.misattributions
    ] == [
        ("계산도.md", "3", "first_author", "Yoshua Bengio", "Sachin Ravi"),
        ("계산도.md", "3", "year", 2019, 2017),
    ]
    marked = {c.field: [v.value for v in c.values if v.bibliography] for c in ravi.conflicts}
    assert marked == {"first_author": ["S. Ravi"], "year": [2017]}
    chen = works.get("chen2017learning")
    assert [(m.field, m.cited, m.bibliography) for m in chen.misattributions] == [
        ("first_author", "Tianqi Chen", "Yutian Chen")
    ]
    report = works.check()
    assert report["citation_conflicts"] == []  # the bibliography's works report misattributions
    assert len(report["misattributions"]) == 3


def test_an_entry_cited_nowhere_is_listed(tmp_path):
    works = build(tmp_path, {"a.md": note("A", "몇 샷.", {"1": RAVI})}, bib=BIB)
    uncited = [w.key for w in works.works if not w.cited_by]
    assert uncited == ["chen2017learning", "vinyals2016matching"]
    assert all(w.in_bibliography for w in works.works)


def test_pandoc_keys_join_the_works_of_footnotes_and_unknown_keys_are_reported(tmp_path):
    body = "최적화 [@ravi2017optimization, p. 2; @vinyals2016matching]. @없는키 와 [@nokey2020]."
    works = build(
        tmp_path,
        {
            "a.md": note("A", "LSTM.", {"1": RAVI}),
            "b.md": f"# B\n\n{body}\n\n`[@incode]`\n",
        },
        bib=BIB,
    )
    ravi = works.get("ravi2017optimization")
    assert [(c.note, c.label, c.line) for c in ravi.cited_by] == [
        ("a.md", "1", 10),
        ("b.md", "@ravi2017optimization", 3),
    ]
    assert [c.label for c in works.get("vinyals2016matching").cited_by] == ["@vinyals2016matching"]
    assert works.work_of("b.md", "@ravi2017optimization") is ravi
    assert works.check()["unknown_citation_keys"] == [
        {"note": "b.md", "key": "nokey2020", "line": 3}
    ]


def test_without_a_bibliography_every_bracketed_key_is_unknown_but_a_bare_at_word_is_text(tmp_path):
    works = build(tmp_path, {"b.md": "# B\n\n트위터 @someone 참고 [@finn2017model].\n"})
    assert [(c.note, c.label) for c in works.unknown_keys] == [("b.md", "@finn2017model")]


def test_keys_are_stable_and_unique(tmp_path):
    a = 'Kim, Minsu. "Meta learning for graphs." *KDD*, 2020.'
    b = 'Kim, Jiwon. "Meta learning for speech." *Interspeech*, 2020.'
    notes = {"x.md": note("X", "그래프.", {"1": a}), "y.md": note("Y", "음성.", {"1": b})}
    first = [(w.key, w.title) for w in build(tmp_path / "1", notes).works]
    again = [(w.key, w.title) for w in build(tmp_path / "2", dict(reversed(notes.items()))).works]
    assert (
        first
        == again
        == [
            ("kim2020metaa", "Meta learning for graphs"),
            ("kim2020metab", "Meta learning for speech"),
        ]
    )


def test_an_author_is_found_under_every_spelling_the_work_joined(tmp_path):
    works = build(
        tmp_path,
        {
            "a.md": note("A", "MAML.", {"1": MAML_CHICAGO}),
            "b.md": note("B", "MAML.", {"1": MAML_SHORT}),
            "c.md": note("C", "LSTM.", {"1": BENGIO}),
            "d.md": note("D", "LSTM.", {"1": RAVI}),
        },
    )
    assert works.notes_citing("Abbeel") == {"a.md", "b.md"}  # b.md names only "Finn et al."
    assert works.notes_citing("Chelsea") == {"a.md", "b.md"}
    assert works.notes_citing("C. Finn") == works.notes_citing("Finn, Chelsea") == {"a.md", "b.md"}
    assert works.notes_citing("Larochelle") == {"c.md", "d.md"}
    assert works.notes_citing("finn2017model") == {"a.md", "b.md"}
    assert works.notes_citing("Zemel") == set()


@pytest.mark.parametrize(
    "footnote",
    ["메타러닝 개요를 정리한 메모.", "2023년에 다시 읽을 것.", "> 인용만 있는 각주"],
)
def test_a_footnote_that_is_no_citation_makes_no_work(tmp_path, footnote):
    works = build(tmp_path, {"a.md": note("A", "메모.", {"1": footnote})})
    assert [w.key for w in works.works if w.cited_by] == []


def test_a_korean_paper_written_with_other_spacing_is_one_work(tmp_path):
    one = "김철수, 이영희. “메타러닝의 계산 비용.” *정보과학회논문지*, 2023."
    two = "김철수, 이영희. “메타 러닝의 계산비용.” *정보과학회논문지*, 2024."
    works = build(
        tmp_path,
        {
            "비용.md": note("비용", "이중 루프.", {"1": one}),
            "요약.md": note("요약", "짧게.", {"가": two}),
        },
    )
    (work,) = works.works
    assert work.authors == ("김철수", "이영희") and work.key == "김철수2023메타러닝의"
    (conflict,) = work.conflicts
    assert [(v.value, v.notes) for v in conflict.values] == [
        (2023, ["비용.md"]),
        (2024, ["요약.md"]),
    ]
    assert works.notes_citing("김철수") == works.notes_citing("이영희") == {"비용.md", "요약.md"}
