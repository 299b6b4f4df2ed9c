"""Issue 11, defect 22: `notebase check` reports a results problem for exactly the notes that
write-back refuses to edit -- an ordinary comment that mentions the marker word blocks nothing
and is reported by nobody; a broken marker, a second block, a block edited by hand or without
its ``hash=`` is refused by the writer (the results go to a sidecar) and reported by check.
"""

from __future__ import annotations

from results_block_helpers import korean_block  # in tests/

from notebase.core.note_writer import sidecar_path, write_block
from notebase.core.vault import Vault

NOTE = "# 노트\n\n## 질문\n\n1. 메모리는? [[experiments/meta-cost]]\n\n## 출처\n\n- 없음\n"
BLOCK = korean_block(run="옛-실행").lines()
HOSTILE = {
    "todo-comment": "<!-- TODO: explain notebase:results markers -->\n",
    "comment-mentioning-the-word": "<!-- 설명: notebase:results 마커는 지우지 말 것 -->\n",
    "marker-in-code": "```\n" + "\n".join(BLOCK) + "\n```\n",
    "marker-in-quote": "".join("> " + line + "\n" for line in BLOCK),
    "whole-block": "\n".join(BLOCK) + "\n",
    "crlf-block": "\r\n".join(BLOCK) + "\r\n",
    "indented-block": "".join("  " + line + "\n" if line else "\n" for line in BLOCK),
    "text-after-marker": BLOCK[0] + " 끝\n" + "\n".join(BLOCK[1:]) + "\n",
    "marker-over-two-lines": "\n".join(BLOCK).replace(" hash=", "\nhash=", 1) + "\n",
    "unclosed": BLOCK[0] + "\n본문\n",
    "closed-only": "본문\n<!-- /notebase:results -->\n",
    "no-experiment": "<!-- notebase:results run=x -->\n<!-- /notebase:results -->\n",
    "not-key-value": "\n".join(BLOCK).replace(" run=", " run =", 1) + "\n",
    "edited-table": "\n".join(BLOCK).replace("| maml | 1 |", "| maml | 2 |") + "\n",
    "hash-removed": "\n".join(BLOCK).replace(" hash=", " h=", 1) + "\n",
    "two-blocks": "\n".join(BLOCK) + "\n\n" + "\n".join(BLOCK) + "\n",
    "other-experiment-edited": "\n".join(korean_block("다른-실험").lines()).replace(
        "| maml | 1 |", "| maml | 9 |"
    )
    + "\n",
    "empty-comment": "<!-- notebase:results -->\n",
    "closing-with-words": "<!-- /notebase:results experiment=x -->\n",
    "not-utf8": "caf\udce9 au lait\n",  # a lone 0xE9 byte: refused, and check says so
    "crlf-whole-note-with-comment": "\r\n<!-- TODO: explain notebase:results markers -->\r\n",
}


def note_bytes(tail: str) -> bytes:
    return (NOTE + "\n" + tail).encode("utf-8", "surrogateescape")


def test_check_reports_exactly_what_write_back_refuses(tmp_path):
    root = tmp_path / "vault"
    root.mkdir()
    refused = {}
    for name, tail in HOSTILE.items():
        (root / f"{name}.md").write_bytes(note_bytes(tail))
        outcome = write_block(root / f"{name}.md", lambda data: korean_block(run="r1"))
        refused[name] = outcome.status != "written"
        assert outcome.status in ("written", "sidecar")
        sidecar_path(root / f"{name}.md").unlink(missing_ok=True)
    # Check the notes as they were, not as written.
    for name, tail in HOSTILE.items():
        (root / f"{name}.md").write_bytes(note_bytes(tail))
    report = Vault.load(root, use_cache=False).check()
    problems = report["results_marker_problems"] + report["invalid_notes"]
    reported = {p["note"].removesuffix(".md") for p in problems}
    mine = {name for name in HOSTILE if name != "other-experiment-edited"}
    assert {name for name in mine if refused[name]} == reported & mine
    assert not refused["todo-comment"] and "todo-comment" not in reported
    # A problem of another experiment's block is reported, and stops only that experiment.
    assert "other-experiment-edited" in reported and not refused["other-experiment-edited"]
    assert {name for name, was in refused.items() if was} == {
        "text-after-marker",
        "marker-over-two-lines",
        "unclosed",
        "closed-only",
        "no-experiment",
        "not-key-value",
        "edited-table",
        "hash-removed",
        "two-blocks",
        "empty-comment",
        "closing-with-words",
        "not-utf8",
    }
