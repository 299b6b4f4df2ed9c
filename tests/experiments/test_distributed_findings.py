"""What a run across processes says: where splitting pays, where communication eats the gain,
and the cross-rank columns of its table."""

from __future__ import annotations

from notebase.experiments.finding_text import summarize
from notebase.experiments.findings import scaling_of
from notebase.experiments.results_markdown import render_table


def row(processes, meta_batch, tasks_per_second, share):
    return {
        "algorithm": "maml", "processes": processes, "meta_batch": meta_batch,
        "world_size": processes, "tasks_per_second": tasks_per_second,
        "seconds_per_iteration": meta_batch / tasks_per_second,
        "communication_seconds_per_iteration": share * meta_batch / tasks_per_second,
        "communication_share": share, "peak_memory_bytes": 1000, "memory_kind": "cuda",
        "pre_adaptation_loss": 3.0, "post_adaptation_loss": 1.0,
    }


ROWS = [
    row(1, 8, 1000.0, 0.0), row(2, 8, 500.0, 0.45),   # communication eats it
    row(1, 64, 2000.0, 0.0), row(2, 64, 3400.0, 0.1),  # pays: 1.7x
    row(1, 512, 300.0, 0.0), row(2, 512, 310.0, 0.05),  # no gain, not communication
]
RECORD = {"results": ROWS, "spec": {"params": {"processes": [1, 2], "meta_batch": [8, 64, 512]}}}


def test_each_multi_process_row_is_compared_with_the_same_point_on_one_process():
    found = scaling_of(ROWS, ["processes", "meta_batch"])
    assert [(s.point, s.processes, round(s.speedup, 3), s.verdict) for s in found] == [
        ({"meta_batch": 8}, 2, 0.5, "eaten"),
        ({"meta_batch": 64}, 2, 1.7, "pays"),
        ({"meta_batch": 512}, 2, 1.033, "no-gain"),
    ]


def test_the_findings_say_where_the_split_pays_in_words():
    summary = summarize(RECORD, "en", ["processes", "meta_batch"])
    assert summary.status == "answered"
    assert summary.summary == ("2 processes pay at meta-batch size 64 (1.70×); not at "
                               "meta-batch size 8 (0.50×); meta-batch size 512 (1.03×)")
    assert ("maml, meta-batch size 8: 2 processes do not pay, communication eats the gain: "
            "0.50× the tasks/s of one (500 vs 1,000 tasks/s), communication 45% of an "
            "iteration") in summary.findings
    assert not any("load average" in line for line in summary.findings)
    ko = summarize(RECORD, "ko", ["processes", "meta_batch"])
    assert "프로세스 2개는 메타 배치 크기 64 (1.70×)에서 이득이고" in ko.summary


def test_the_table_shows_the_gathers_time_and_share_when_ranks_were_several():
    header, _, *lines = render_table(RECORD)
    assert header == ("| algorithm | processes | meta batch | s/iter | tasks/s | peak memory | "
                      "pre loss | post loss | comm/iter | comm share |")
    assert lines[0].endswith("| – | – |")  # no gather on one process
    assert lines[1].endswith("| 7.2 ms | 45% |")
    single = render_table({"results": [row(1, 8, 1000.0, 0.0)], "spec": {"params": {}}})
    assert "comm" not in single[0]


def test_a_loaded_machine_is_said_next_to_the_speed_ups():
    rows = [dict(r, load_average=load, cpus=2) for r, load in zip(ROWS, (2.1, 3.0, 2.5, 2.8, 1.9, 3.4), strict=True)]
    summary = summarize(dict(RECORD, results=rows), "en", ["processes", "meta_batch"])
    assert summary.findings[3] == (
        "Measured on 2 CPUs at a 1-minute load average of 1.9–3.4 when the points started "
        "(this run's own processes included): other work shared the CPUs, so these speed-ups "
        "are this machine's at that time, not a property of the split")


def test_a_load_from_the_runs_own_ranks_alone_is_no_loaded_machine():
    """Two ranks on two CPUs keep the load average near 2 by themselves (an idle machine
    measured 0.8-1.1): that is not other work sharing the CPUs."""
    rows = [dict(r, load_average=load, cpus=2) for r, load in zip(ROWS, (0.8, 1.1, 1.0, 2.4, 1.9, 2.9), strict=True)]
    summary = summarize(dict(RECORD, results=rows), "en", ["processes", "meta_batch"])
    assert not any("load average" in line for line in summary.findings)
