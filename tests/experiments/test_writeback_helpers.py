"""Shared by the write-back tests (no tests here): fabricated run records and an editor-style
"delete the block's lines"."""

from __future__ import annotations

import re


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


def delete_block_lines(data: bytes, experiment: str) -> bytes:
    """What an editor does when the user deletes the lines from the opening marker of
    ``experiment``'s block to its closing marker, inclusive.

    Lines are what sits between line terminators; deleting the last lines of a file that
    does not end in a newline also deletes the newline before them (vim, VS Code, Obsidian).
    """
    opening = re.search(
        rb"(?m)^(?:\xef\xbb\xbf)?(<!-- notebase:results experiment=" + re.escape(experiment.encode()) + rb" )",
        data,
    )
    assert opening, f"no block for {experiment}"
    start = opening.start(1)
    closing = data.index(b"<!-- /notebase:results -->", start)
    end = closing + len(b"<!-- /notebase:results -->")
    if data.startswith(b"\r\n", end):
        end += 2
    elif data.startswith(b"\n", end):
        end += 1
    else:  # the block is the last line, without a newline: its newline comes before it
        assert end == len(data)
        if data[:start].endswith(b"\r\n"):
            start -= 2
        elif data[:start].endswith(b"\n"):
            start -= 1
    return data[:start] + data[end:]
