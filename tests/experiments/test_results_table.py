"""Numbers read back from a results block's table (records are not committed)."""

from __future__ import annotations

import pytest

from notebase.experiments.results_markdown import render_table
from notebase.experiments.results_table import block_rows

RECORD = {
    "spec": {"params": {"inner_steps": [1, 10]}},
    "results": [
        {
            "algorithm": "maml",
            "inner_steps": 1,
            "seconds_per_iteration": 0.00428,
            "tasks_per_second": 5837.2,
            "peak_memory_bytes": 830464,
            "memory_kind": "cpu-profiler",
            "pre_adaptation_loss": 3.434,
            "post_adaptation_loss": 1.135,
        },
        {
            "algorithm": "maml",
            "inner_steps": 10,
            "seconds_per_iteration": 0.0242,
            "tasks_per_second": 1034,
            "peak_memory_bytes": 6.02 * 1024**2,
            "memory_kind": "cpu-profiler",
            "pre_adaptation_loss": 3.438,
            "post_adaptation_loss": 0.7101,
        },
    ],
}


def test_rows_round_trip_through_the_write_back_table():
    body = "\n".join(
        [
            "# 노트",
            "",
            "<!-- notebase:results experiment=meta-cost run=R1 -->",
            "",
            *render_table(RECORD),
            "",
            "<!-- /notebase:results -->",
            "## 출처",
        ]
    )
    rows = block_rows(body, "meta-cost")
    assert [(r["algorithm"], r["inner_steps"]) for r in rows] == [("maml", 1), ("maml", 10)]
    assert rows[0]["seconds_per_iteration"] == pytest.approx(0.00428)
    assert rows[0]["tasks_per_second"] == 5837
    assert rows[1]["peak_memory_bytes"] == pytest.approx(6.02 * 1024**2, rel=0.01)
    assert rows[1]["memory_kind"] == "cpu-profiler"
    assert rows[1]["post_adaptation_loss"] == pytest.approx(0.7101)
    assert block_rows(body, "other") == []
