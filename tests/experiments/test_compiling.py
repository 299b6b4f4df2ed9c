"""compile = true | false | "auto": the decision, torch's compile cache kept beside the specs,
and what a row records."""

from __future__ import annotations

import json

import pytest

from notebase.errors import SpecError
from notebase.experiments import compiling
from notebase.experiments.params import DEFAULTS
from notebase.experiments.runner import run_experiment
from notebase.experiments.spec import load_spec
from tests.experiments.test_experiment_runner import tiny_spec


def test_auto_compiles_only_when_the_run_repays_the_compile():
    # 1,000 iterations x 10 ms = 10 s eager; 2 s compile + 10 s / 4 = 4.5 s: compile.
    wanted, reason = compiling.decide("auto", 1000, 0.010, 2.0, 4.0, "last warm compile")
    assert wanted and reason.startswith("auto: 1000 x 10.00 ms eager = 10.0 s >")
    # 100 iterations: 1 s eager against 2.25 s: stay eager.
    wanted, reason = compiling.decide("auto", 100, 0.010, 2.0, 4.0, "last warm compile")
    assert not wanted and "<=" in reason
    assert compiling.decide(True, 1, 1e-6, 1e6, 1.0, "")[0]
    assert not compiling.decide(False, 10**9, 1.0, 0.0, 100.0, "")[0]


def test_expected_compile_time_comes_from_the_last_measurement():
    cold, source = compiling.expected_compile({}, "cpu")
    assert cold == compiling.COLD_COMPILE_S["cpu"] and "not measured" in source
    assert compiling.expected_compile({"compile_seconds": 2.5, "cache": "hit"}, "cpu")[0] == 2.5
    after_cold = compiling.expected_compile({"compile_seconds": 30.0, "cache": "miss"}, "cpu")[0]
    assert after_cold == pytest.approx(30.0 * compiling.WARM_FRACTION)


def test_compile_is_true_false_or_auto_and_auto_by_default(tmp_path):
    assert DEFAULTS["sinusoid"]["compile"] == DEFAULTS["digits"]["compile"] == "auto"
    path = tiny_spec(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[params]\n", '[params]\ncompile = "auto"\n'), encoding="utf-8")
    assert load_spec(path).params["compile"] == "auto"
    path.write_text(text.replace("[params]\n", '[params]\ncompile = "sometimes"\n'),
                    encoding="utf-8")
    with pytest.raises(SpecError, match='compile: got .sometimes., expected true or false or "auto"'):
        load_spec(path)


def test_a_short_auto_run_stays_eager_and_says_why(tmp_path):
    spec = load_spec(tiny_spec(tmp_path, algorithms='["maml"]'))
    record = run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs")
    (row,) = record["results"]
    assert row["compiled"] is False and row["compile_seconds"] is None
    assert row["compile_cache"] is None
    assert row["compile_reason"].startswith("auto: 3 x ") and "<=" in row["compile_reason"]
    assert record["spec"]["params"]["compile"] == "auto"
    assert (tmp_path / ".cache" / "torch").is_dir()  # beside runs/, i.e. experiments/.cache


@pytest.mark.slow  # compiles (tens of seconds on a CPU, once; then torch's cache)
def test_a_second_compile_hits_torchs_cache_and_auto_uses_the_measurement(tmp_path, monkeypatch):
    monkeypatch.delenv("TORCHINDUCTOR_CACHE_DIR", raising=False)
    monkeypatch.setattr(compiling, "_SET_BY_US", None)
    spec = load_spec(tiny_spec(tmp_path, algorithms='["maml"]'))
    spec.params["compile"] = True
    runs = tmp_path / "runs"
    (first,) = run_experiment(spec, quick=True, device="cpu", runs_dir=runs)["results"]
    (second,) = run_experiment(spec, quick=True, device="cpu", runs_dir=runs)["results"]
    assert first["compiled"] and first["compile_cache"] == "miss"
    assert second["compiled"] and second["compile_cache"] == "hit"
    folder = tmp_path / ".cache" / "torch"
    assert any(folder.rglob("*")) and (folder / compiling.LOG_NAME).is_file()
    log = json.loads((folder / compiling.LOG_NAME).read_text(encoding="utf-8"))
    (key,) = log
    assert log[key]["cache"] == "hit" and log[key]["speedup"] > 0
    # auto now trusts the measurement: a free compile and a large speedup repay even 3 steps.
    log[key].update(compile_seconds=0.0, speedup=1000.0)
    (folder / compiling.LOG_NAME).write_text(json.dumps(log), encoding="utf-8")
    spec.params["compile"] = "auto"
    (third,) = run_experiment(spec, quick=True, device="cpu", runs_dir=runs)["results"]
    assert third["compiled"] and third["compile_reason"].startswith("auto:")
    for name in ("pre_adaptation_loss", "post_adaptation_loss"):
        assert third[name] == pytest.approx(first[name], rel=1e-4)


def test_a_failed_compile_is_remembered_and_auto_then_stays_eager(tmp_path, monkeypatch):
    def fails(*args, **kwargs):
        raise RuntimeError("no compiler for this")

    monkeypatch.setattr(compiling, "compile_now", fails)
    spec = load_spec(tiny_spec(tmp_path, algorithms='["fomaml"]'))
    spec.params["compile"] = True
    (row,) = run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs")["results"]
    assert row["compiled"] is False and row["compile_reason"].endswith("torch.compile failed, eager")
    assert row["post_adaptation_loss"] > 0  # trained eagerly

    def never(*args, **kwargs):
        raise AssertionError("auto tried to compile shapes that failed before")

    monkeypatch.setattr(compiling, "compile_now", never)
    monkeypatch.setattr(compiling, "decide", lambda *args: (True, "auto: would compile"))
    spec.params["compile"] = "auto"
    (row,) = run_experiment(spec, quick=True, device="cpu", runs_dir=tmp_path / "runs")["results"]
    assert row["compiled"] is False
    assert row["compile_reason"] == (
        "auto: torch.compile failed before for these shapes (RuntimeError: no compiler for this)"
    )
