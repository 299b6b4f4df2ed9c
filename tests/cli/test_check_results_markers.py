"""`notebase check` reports the results markers the writer would refuse, and nothing else."""

from __future__ import annotations

import json
from pathlib import Path

from notebase.cli import main

BLOCK = """<!-- notebase:results experiment=meta-cost run=r1 answers=1 hash=916507a4d5a3 -->

| algorithm | s/iter |
|---|--:|
| maml | 0.01 |

<!-- /notebase:results -->"""

NOTES = {
    "깨진/뒤에 글.md": "## 질문\n\n1. 왜?\n\n" + BLOCK.replace("a3 -->", "a3 --> 결과"),
    "깨진/두 줄.md": "## 질문\n\n1. 왜?\n\n" + BLOCK.replace(" hash=", "\nhash="),
    "깨진/닫힘 없음.md": "---\ntitle: 닫히지 않음\n---\n본문\n\n" + BLOCK.split("\n\n|")[0] + "\n",
    "멀쩡/목록 안.md": "## 질문\n\n1. 왜?\n\n" + "\n".join(
        "    " + line if line else line for line in BLOCK.split("\n")
    ),
    "멀쩡/코드 안.md": "# 예시\n\n```markdown\n" + BLOCK.split("\n\n|")[0] + "\n```\n",
    "멀쩡/주석.md": "# 메모\n\n<!-- TODO: notebase:results 마커 설명 -->\n",
}


def test_check_reports_broken_markers_with_file_lines(tmp_path: Path, capsys):
    root = tmp_path / "notes"
    for rel, text in NOTES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    assert main(["--vault", str(root), "check", "--json"]) == 0
    problems = json.loads(capsys.readouterr().out)["results_marker_problems"]
    assert sorted((p["note"], p["line"], p["problem"]) for p in problems) == [
        ("깨진/닫힘 없음.md", 6, "results block opened but never closed"),
        ("깨진/두 줄.md", 5, "broken results marker: the marker does not end on its line (no `-->`)"),
        ("깨진/두 줄.md", 12, "results block closed but never opened"),
        ("깨진/뒤에 글.md", 5, "broken results marker: text after the marker's `-->`"),
        ("깨진/뒤에 글.md", 11, "results block closed but never opened"),
    ]
    assert main(["--vault", str(root), "check"]) == 0
    text = capsys.readouterr().out
    assert "깨진/뒤에 글.md:5: broken results marker: text after the marker's `-->`\n" in text
    assert "5 results marker problems" in text
    assert main(["--vault", str(root), "check", "--strict"]) == 1
