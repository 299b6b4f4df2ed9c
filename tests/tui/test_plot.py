"""Terminal bar charts of run results."""

from __future__ import annotations

from notebase.tui.plot import BAR_WIDTH, bar, results_chart


def test_bars_scale_to_the_largest_value():
    assert bar(10, 10) == "█" * BAR_WIDTH
    assert bar(0, 10) == ""
    assert len(bar(5, 10)) == BAR_WIDTH // 2


def test_chart_shows_time_and_memory_per_point():
    rows = [
        {
            "algorithm": "maml",
            "inner_steps": k,
            "seconds_per_iteration": 0.01 * k,
            "peak_memory_bytes": 1000 * k,
            "memory_kind": "cpu-profiler",
        }
        for k in (1, 10)
    ]
    chart = results_chart(rows).splitlines()
    assert chart[0] == "time per meta-iteration"
    assert chart[2].startswith("maml k=10  " + "█" * BAR_WIDTH) and chart[2].endswith("100.0 ms/it")
    assert "peak memory (cpu-profiler)" in chart
    assert chart[-1].endswith("9.8 KiB")
    assert results_chart([]) == ""
