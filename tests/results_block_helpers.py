"""Shared by the results-block tests (no tests here): fabricated run records, a Korean
results block, and an editor-style "delete the block's lines".

In ``tests/`` (on sys.path through tests/conftest.py) so that the core and the experiments
tests import one copy: ``from results_block_helpers import ...``.
"""

from __future__ import annotations

import re

from notebase.core.results_block import RenderedBlock


def make_record(
    experiment: str = "meta-cost",
    run_id: str = "20261127T151000Z-ab12",
    *,
    accuracy: bool = False,
    status: str = "ok",
) -> dict:
    """A run record shaped like the runner's, with made-up numbers."""
    rows = []
    for algorithm, growth in (("maml", 1.0), ("fomaml", 0.0)):
        for steps in (1, 5, 10):
            row = {
                "algorithm": algorithm,
                "inner_steps": steps,
                "seconds_per_iteration": 0.01 * steps * (1 + growth),
                "tasks_per_second": 2500.0 / (steps * (1 + growth)),
                "peak_memory_bytes": int(40_000 * (1 + growth * steps)),
                "memory_kind": "cpu-graph",
                "pre_adaptation_loss": 3.21,
                "post_adaptation_loss": 0.5 / steps,
                "meta_iterations": 20,
            }
            if accuracy:
                row["pre_adaptation_accuracy"] = 0.2
                row["post_adaptation_accuracy"] = 0.61
            rows.append(row)
    return {
        "run_id": run_id,
        "experiment": experiment,
        "title": "Cost of second-order vs first-order meta-learning",
        "spec": {"name": experiment, "params": {"inner_steps": [1, 5, 10], "inner_lr": 0.01}},
        "spec_hash": "5pec0000hash",
        "quick": True,
        "device": "cpu",
        "device_name": "x86_64 CPU",
        "torch_version": "2.13.0",
        "git_commit": "0123456789abcdef",
        "git_dirty": True,
        "started_at": "2026-11-27T15:09:00+00:00",
        "ended_at": "2026-11-27T15:10:00+00:00",
        "status": status,
        "error": None if status == "ok" else "boom",
        "results": rows if status == "ok" else [],
    }


def korean_block(
    experiment: str = "meta-cost", run: str = "r1", answers: tuple[int, ...] = (1,)
) -> RenderedBlock:
    """A results block shaped like a rendered one (a table the table reader reads back),
    without the experiments package: the writer and the grammar are tested on their own."""
    body = [
        "",
        "| algorithm | inner steps | s/iter | peak memory |",
        "|---|--:|--:|--:|",
        "| maml | 1 | 0.01 | 39.1 KiB (cpu-graph) |",
        "| maml | 10 | 0.2 | 430 KiB (cpu-graph) |",
        "",
        f"실행 `{run}` · `{experiment}` · 장치 cpu",
    ]
    attrs = {"run": run, "spec": "5pec0000hash"}
    if answers:
        attrs["answers"] = ",".join(str(n) for n in answers)
        body += ["", f"질문 {', '.join(str(n) for n in answers)}에 답한다."]
    body.append("")
    return RenderedBlock(experiment=experiment, attrs=attrs, body=body)


_LINES = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
CLOSE = b"<!-- /notebase:results -->"


def delete_block_lines(data: bytes, experiment: str) -> bytes:
    """What an editor does when the user deletes the lines from the opening marker of
    ``experiment``'s block to its closing marker, inclusive (indented or not).

    Lines are what sits between line terminators (``\\r\\n``, ``\\n``, a lone ``\\r``);
    deleting the last lines of a file that does not end in a newline also deletes the newline
    before them (vim, VS Code, Obsidian).
    """
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    lines = _LINES.findall(data[len(bom) :])
    opening = b"<!-- notebase:results experiment=" + experiment.encode() + b" "
    starts = [i for i, line in enumerate(lines) if line.lstrip(b" \t").startswith(opening)]
    assert starts, f"no block for {experiment}"
    start = starts[0]
    end = next(i for i in range(start, len(lines)) if lines[i].strip() == CLOSE)
    kept = lines[:start] + lines[end + 1 :]
    if end == len(lines) - 1 and not lines[end].endswith((b"\n", b"\r")) and kept:
        last = kept[-1]  # the newline before the deleted last lines goes with them
        kept[-1] = last[:-2] if last.endswith(b"\r\n") else last[:-1]
    return bom + b"".join(kept)
