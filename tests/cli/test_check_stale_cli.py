"""`notebase check` reports results blocks whose experiment spec changed since the run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from notebase.cli import main

REPO = Path(__file__).resolve().parents[2]

NOTE = """---
title: 비용 노트
---
## 질문 & 확장

1. 메모리는 얼마나 늘어나는가? [[experiments/meta-cost]]

<!-- notebase:results experiment=meta-cost run=20260101T000000Z-abcdef spec=000000000000 answers=1 hash=6bf8dacb1143 -->
| algorithm |
|---|
| maml |
<!-- /notebase:results -->
"""


def test_check_reports_stale_results(tmp_path, capsys):
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "비용.md").write_text(NOTE, encoding="utf-8")
    specs = tmp_path / "experiments"
    specs.mkdir()
    shutil.copy(REPO / "experiments" / "meta-cost.toml", specs / "meta-cost.toml")

    code = main(["--vault", str(vault), "--experiments", str(specs), "check", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert [(s["note"], s["experiment"], s["reason"]) for s in report["stale_results"]] == [
        ("비용.md", "meta-cost", "spec changed")
    ]

    (specs / "meta-cost.toml").unlink()
    assert main(["--vault", str(vault), "--experiments", str(specs), "check"]) == 0
    assert "stale: spec missing" in capsys.readouterr().out
