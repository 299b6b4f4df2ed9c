"""The note's citation panel in the app (Pilot): the work each footnote cites, the other
notes citing it (openable), and a visible mark on a misattribution or conflict with what the
bibliography or the other notes write."""

from __future__ import annotations

import os
from pathlib import Path

from textual.widgets import Markdown

from notebase.tui.app import make_app
from notebase.tui.screens.modals import DetailScreen
from notebase.tui.session import VaultSession
from notebase.tui.widgets.side_panel import SidePanel

from .conftest import SIZE, settle

NOTES = {
    "계산도.md": """# 메타 러닝의 계산도

이중 루프 구조[^1]. 최적화 구조의 문제[^3]. 암묵적 미분[^5].

## 출처

[^1]: Finn, Chelsea, Pieter Abbeel, and Sergey Levine. "Model-agnostic meta-learning for fast adaptation of deep networks." *ICML*, 2017.
[^3]: Bengio, Yoshua, et al. "Optimization as a model for few-shot learning." *International Conference on Learning Representations (ICLR)*, 2019.
[^5]: Rajeswaran, Aravind, et al. "Meta-learning with implicit gradients." *NeurIPS*, 2019.
""",
    "few-shot.md": """# 퓨샷 벤치마크

LSTM 메타 학습기[^4]. 암묵적 그래디언트[^2].

## 출처

[^4]: Ravi, S., & Larochelle, H. (2017). Optimization as a Model for Few-Shot Learning. ICLR.
[^2]: Rajeswaran, A., Finn, C., Kakade, S., & Levine, S. (2018). Meta-Learning with Implicit Gradients. NeurIPS.
""",
    "알고리즘/MAML.md": """# MAML

원 논문[^1].

## 출처

[^1]: Finn et al., 2017, *Model-Agnostic Meta-Learning*.
""",
}
BIB = """@inproceedings{ravi2017optimization,
  title = {Optimization as a Model for Few-Shot Learning},
  author = {Ravi, Sachin and Larochelle, Hugo},
  booktitle = {International Conference on Learning Representations},
  year = {2017}
}
"""


def write(tmp_path: Path) -> tuple[Path, Path]:
    vault, experiments = tmp_path / "vault", tmp_path / "experiments"
    for rel, text in NOTES.items():
        path = vault / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (vault / "references.bib").write_text(BIB, encoding="utf-8")
    experiments.mkdir()
    return vault, experiments


def panel_lines(app) -> list[tuple[str | None, str]]:
    return [(row.key, row.text.plain) for row in app.main_screen.query_one(SidePanel).rows]


async def test_each_footnote_shows_its_work_the_other_notes_and_what_is_wrong(tmp_path):
    app = make_app(*write(tmp_path), watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note("계산도.md", push=False)
        await settle(app, pilot)
        lines = panel_lines(app)
        start = lines.index((None, "Citations (3)"))
        assert lines[start + 1 : start + 10] == [
            (
                "fn:1",
                "[1] Chelsea Finn et al. 2017 · Model-agnostic meta-learning for fast adaptation of deep networks",
            ),
            (None, "    finn2017model"),
            ("note:알고리즘/MAML.md", "    ↳ MAML"),
            (
                "fn:3",
                "[3] Yoshua Bengio et al. 2019 · Optimization as a model for few-shot learning ⚠",
            ),
            (None, "    ravi2017optimization · in the bibliography"),
            (
                None,
                '    ⚠ first author "Yoshua Bengio", but references.bib (ravi2017optimization) '
                'says "Sachin Ravi"',
            ),
            (None, '    ⚠ year "2019", but references.bib (ravi2017optimization) says "2017"'),
            ("note:few-shot.md", "    ↳ 퓨샷 벤치마크"),
            (
                "fn:5",
                "[5] Aravind Rajeswaran et al. 2019 · Meta-learning with implicit gradients ⚠",
            ),
        ]
        assert lines[start + 10 : start + 13] == [
            (None, "    rajeswaran2018meta"),  # two years, one each: the first note's by path
            (None, "    ⚠ year: 2019 here; 2018 in few-shot.md"),  # no bibliography: no winner
            ("note:few-shot.md", "    ↳ 퓨샷 벤치마크"),
        ]

        # The citation's detail says the same; Enter on another note's row opens it.
        side = app.main_screen.query_one(SidePanel)
        side.focus()
        assert side.move_to_key("fn:3")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DetailScreen)
        detail = app.screen.query_one(Markdown).source
        assert "| work | ravi2017optimization (bibliography) |" in detail
        assert "| also cited in | 퓨샷 벤치마크 |" in detail
        await pilot.press("escape")
        await pilot.pause()
        side.focus()
        assert side.move_to_key("note:few-shot.md")
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.main_screen.current_path == "few-shot.md"
        lines = panel_lines(app)
        start = lines.index((None, "Citations (2)"))
        # The right citation of a work the bibliography has: nothing marked.
        assert lines[start + 1 : start + 4] == [
            ("fn:4", "[4] S. Ravi et al. 2017 · Optimization as a Model for Few-Shot Learning"),
            (None, "    ravi2017optimization · in the bibliography"),
            ("note:계산도.md", "    ↳ 메타 러닝의 계산도"),
        ]


def test_search_cite_and_pages_follow_the_vaults_works_and_bibliography(tmp_path):
    session = VaultSession(*write(tmp_path))
    try:
        session.load()
        assert session.open_index() is None
        hits = session.search('cite:"Sachin Ravi"')  # 계산도.md wrote "Bengio" for that work
        assert sorted(hit.path for hit in hits) == ["few-shot.md", "계산도.md"]
        work = session.note_page("계산도.md").footnotes[1].work
        assert work.in_bibliography and len(work.problems) == 2
        (bib := tmp_path / "vault" / "references.bib").write_text("", encoding="utf-8")
        os.utime(bib, ns=(1, 1))  # another stamp even on a coarse clock
        work = session.note_page("계산도.md").footnotes[1].work
        assert not work.in_bibliography  # no authority now: the notes' versions, no winner
        assert work.problems == (
            "first author: Yoshua Bengio here; S. Ravi in few-shot.md",
            "year: 2019 here; 2017 in few-shot.md",
        )
    finally:
        session.close()
