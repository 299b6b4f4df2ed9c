"""The run panel's bar follows the runner's progress events of a whole sweep."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import ProgressBar

from notebase.experiments import runner
from notebase.experiments.spec import load_spec
from notebase.tui.widgets.run_panel import RunPanel

ITERATIONS = 5

SWEEP = """\
name = "sweep"
task = "sinusoid"
algorithms = ["fomaml"]
[params]
inner_steps = [1, 2, 3, 4]
meta_iterations = 5
warmup = 0
"""


def runner_events(tmp_path, monkeypatch) -> list[dict]:
    """The events the real runner loop emits for 4 sweep points (training stubbed out)."""

    def train_point(spec, algorithm, point, device, *, progress, **kwargs):
        for done in range(1, point["meta_iterations"] + 1):
            progress(done, point["meta_iterations"])
        return {"algorithm": algorithm, "inner_steps": point["inner_steps"]}

    monkeypatch.setattr(runner, "train_point", train_point)
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP, encoding="utf-8")
    events: list[dict] = []
    runner.run_experiment(
        load_spec(path), device="cpu", runs_dir=tmp_path / "runs", on_event=events.append
    )
    return events


class PanelApp(App):
    def compose(self) -> ComposeResult:
        yield RunPanel()


async def test_the_bar_shows_the_share_of_the_whole_run(tmp_path, monkeypatch):
    events = runner_events(tmp_path, monkeypatch)
    point_ends = [
        e for e in events
        if e.get("event") == "progress" and e["iteration"] == e["iterations"]
    ]
    assert [e["point"] for e in point_ends] == [0, 1, 2, 3]
    app = PanelApp()
    async with app.run_test() as pilot:
        panel = app.query_one(RunPanel)
        bar = panel.query_one("#run-progress", ProgressBar)
        shown = {}
        for event in events:
            panel.show_event(event)
            if event in point_ends:
                await pilot.pause()
                shown[event["point"]] = bar.percentage
        # End of point 0 of 4 is a quarter of the run (it showed 6 % when divided twice).
        assert shown == {0: 0.25, 1: 0.5, 2: 0.75, 3: 1.0}
        assert panel.progress_events == len([e for e in events if e.get("event") == "progress"])
