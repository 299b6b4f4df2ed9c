"""Findings from a run's rows: the growth fits on synthetic data, ratios per sweep point,
validity flags, claims (validation and verdicts) and the note's language."""

from __future__ import annotations

import math

import numpy as np
import pytest

from notebase.errors import SpecError
from notebase.experiments.claims import check_claim, load_claims
from notebase.experiments.finding_text import language_of, summarize
from notebase.experiments.findings import fit_growth, ratio_of, validity_flags

X = [1, 3, 6, 10]


@pytest.mark.parametrize(
    ("ys", "model"),
    [
        ([5.0] * 4, "constant"),
        ([0.5 + 0.29 * x for x in X], "linear"),
        ([2.0**x for x in X], "exponential"),
        ([100 * 1.3**x for x in [1, 2, 4, 6, 8, 10]], "exponential"),
    ],
)
def test_clean_data_is_fitted_by_its_own_model(ys, model):
    xs = X if len(ys) == 4 else [1, 2, 4, 6, 8, 10]
    growth = fit_growth(xs, ys)
    assert (growth.model, growth.conclusive, growth.reason) == (model, True, "")


def test_slope_and_rate_are_reported_in_the_metric_units():
    linear = fit_growth(X, [969e3 + 296e3 * x for x in X])
    assert linear.slope == pytest.approx(296e3)
    exponential = fit_growth(X, [7 * 1.5**x for x in X])
    assert exponential.factor == pytest.approx(1.5, rel=1e-3)


def test_noisy_growth_is_still_found_when_the_change_dwarfs_the_noise():
    rng = np.random.default_rng(1)
    xs = [1, 2, 3, 4, 5, 6, 8, 10]
    ys = [2.0 + 0.5 * x + rng.normal(0, 0.05) for x in xs]
    growth = fit_growth(xs, ys)
    assert growth.model == "linear" and growth.conclusive
    assert growth.slope == pytest.approx(0.5, abs=0.02)


def test_noise_larger_than_the_effect_is_inconclusive():
    rng = np.random.default_rng(2)
    fits = [fit_growth(X, [1.0 + 0.01 * x + rng.normal(0, 1.0) for x in X]) for _ in range(400)]
    # Noise 100 times the change over the sweep: neither flat nor growing is claimed, but
    # for a chance alignment in at most 2% of the trials.
    assert sum(fit.conclusive for fit in fits) <= 8
    assert {fit.reason for fit in fits if not fit.conclusive} <= {"noise", "tie", "weak"}


def test_a_flat_metric_with_small_noise_is_constant():
    rng = np.random.default_rng(3)
    ys = [707e3 + rng.normal(0, 1e3) for _ in X]
    growth = fit_growth(X, ys)
    assert growth.model == "constant" and growth.conclusive


def test_two_points_are_inconclusive():
    growth = fit_growth([1, 10], [1.0, 2.0])
    assert (growth.model, growth.conclusive, growth.reason) == (None, False, "few-points")


def test_a_missing_value_is_inconclusive():
    growth = fit_growth(X, [1.0, math.nan, 3.0, 4.0])
    assert not growth.conclusive and growth.reason == "not-finite"


def _rows():
    rows = []
    for x in X:
        rows.append({"algorithm": "maml", "inner_steps": x, "seconds_per_iteration": 0.003 * x,
                     "peak_memory_bytes": 500e3 + 290e3 * x, "tasks_per_second": 25 / (0.003 * x),
                     "pre_adaptation_loss": 3.4, "post_adaptation_loss": 0.7})
        rows.append({"algorithm": "fomaml", "inner_steps": x, "seconds_per_iteration": 0.002 * x + 0.001,
                     "peak_memory_bytes": 700e3, "tasks_per_second": 25 / (0.002 * x + 0.001),
                     "pre_adaptation_loss": 3.4, "post_adaptation_loss": 3.3})
    return rows


def test_ratios_are_taken_at_each_sweep_point():
    ratio = ratio_of(_rows(), "maml", "fomaml", "seconds_per_iteration", ["inner_steps"])
    expected = [0.003 * x / (0.002 * x + 0.001) for x in X]
    assert ratio.values == pytest.approx(expected)
    assert (ratio.low, ratio.high) == (pytest.approx(1.0), pytest.approx(30 / 21))


def test_a_row_that_did_not_learn_and_a_bad_cg_solve_are_flagged():
    rows = _rows() + [{"algorithm": "imaml", "inner_steps": 1, "pre_adaptation_loss": 3.0,
                       "post_adaptation_loss": 1.0, "cg_nonpositive_fraction": 0.3,
                       "cg_relative_residual": 4.0}]
    kinds = {(f.algorithm, f.kind) for f in validity_flags(rows, ["inner_steps"])}
    assert kinds == {("fomaml", "did-not-learn"), ("imaml", "cg-curvature"), ("imaml", "cg-residual")}


CLAIMS = [
    {"id": "exp", "text": "memory explodes",
     "growth": {"algorithm": "maml", "metric": "peak_memory_bytes", "along": "inner_steps"},
     "expect": "exponential"},
    {"text": "twice", "ratio": {"of": "maml", "to": "fomaml", "metric": "seconds_per_iteration"},
     "at_least": 2.0},
]


def test_claims_are_checked_against_the_rows():
    claims = load_claims("s.toml", CLAIMS, ["maml", "fomaml"], ["inner_steps"])
    assert [c["id"] for c in claims] == ["exp", "claim2"]
    growth, ratio = (check_claim(c, _rows(), ["inner_steps"]) for c in claims)
    assert growth.verdict == "not-supported" and growth.growth.model == "linear"
    assert ratio.verdict == "not-supported" and ratio.holds_at == 0
    at_most = check_claim({**claims[1], "at_least": 1.2}, _rows(), ["inner_steps"])
    assert at_most.verdict == "inconclusive" and 0 < at_most.holds_at < 4


@pytest.mark.parametrize(
    ("claim", "swept", "message"),
    [
        ({**CLAIMS[0], "growth": {**CLAIMS[0]["growth"], "algorithm": "anil"}}, ["inner_steps"],
         "unknown algorithm 'anil'"),
        ({**CLAIMS[0], "growth": {**CLAIMS[0]["growth"], "metric": "joules"}}, ["inner_steps"],
         "unknown metric 'joules'"),
        ({**CLAIMS[0], "growth": {**CLAIMS[0]["growth"], "along": "shots"}}, ["inner_steps"],
         "'shots' is not swept"),
        (CLAIMS[0], [], "needs a swept parameter"),
        ({**CLAIMS[0], "expect": "quadratic"}, ["inner_steps"], "expect"),
        ({k: v for k, v in CLAIMS[1].items() if k != "at_least"}, [], "at_least and/or at_most"),
        ({**CLAIMS[1], "code": "1+1"}, [], "unknown key 'code'"),
    ],
)
def test_a_bad_claim_is_a_one_line_spec_error(claim, swept, message):
    with pytest.raises(SpecError, match=message) as error:
        load_claims("s.toml", [claim], ["maml", "fomaml"], swept)
    assert "\n" not in str(error.value)


def test_findings_speak_the_notes_language():
    assert language_of("# 메타러닝의 비용\n\nMAML은 2차 미분을 한다. [[experiments/x]]") == "ko"
    assert language_of("# Cost of MAML\n\nIt differentiates twice (메타).") == "en"
    record = {"spec": {"params": {"inner_steps": X}, "claims": load_claims(
        "s.toml", CLAIMS, ["maml", "fomaml"], ["inner_steps"])}, "results": _rows()}
    korean = summarize(record, "ko", ["inner_steps"])
    assert korean.status == "answered"
    assert any("최대 메모리: 내부 스텝 수에 따라 선형으로 늘어난다, +283 KiB/스텝" in f
               for f in korean.findings), korean.findings
    assert "fomaml: 내부 스텝 수 1, 3, 6, 10에서 학습하지 못했다" in "\n".join(korean.findings)
    assert [v.verdict for v in korean.verdicts] == ["not-supported", "not-supported"]
    english = summarize(record, "en", ["inner_steps"])
    assert "maml/fomaml: time per iteration 1–1.4×" in "\n".join(english.findings)


def test_cost_at_equal_quality_compares_the_cheapest_rows_that_reach_the_target():
    rows = _rows()  # maml reaches 0.7 everywhere; fomaml stays at 3.3
    rows += [{"algorithm": "anil", "inner_steps": x, "seconds_per_iteration": 0.001 * x,
              "post_adaptation_loss": 2.0 / x} for x in X]
    claim = load_claims("s.toml", [{
        "id": "equal", "text": "at equal loss anil is cheaper",
        "ratio": {"of": "maml", "to": "anil", "metric": "seconds_per_iteration",
                  "target_loss": 0.5},
        "at_least": 1.0,
    }], ["maml", "fomaml", "anil"], ["inner_steps"])[0]
    verdict = check_claim(claim, rows, ["inner_steps"])
    # maml reaches 0.5? no (0.7): inconclusive, and said why.
    assert verdict.verdict == "inconclusive" and verdict.reaching["maml"] is None
    assert verdict.reaching["anil"]["inner_steps"] == 6  # 2/6 <= 0.5, cheapest such
    claim["ratio"]["target_loss"] = 0.75  # maml's cheapest: 1 step; anil's: 3 steps
    verdict = check_claim(claim, rows, ["inner_steps"])
    assert verdict.ratio.values == [pytest.approx(0.003 / 0.003)]
    assert verdict.verdict == "supported"
    record = {"spec": {"params": {"inner_steps": X}, "claims": [claim]}, "results": rows}
    line = summarize(record, "en", ["inner_steps"]).claims[0]
    assert "at equal quality (held-out loss ≤ 0.75): maml 3 ms at inner steps 1, anil 3 ms at " \
           "inner steps 3; maml/anil 1× (≥ 1)" in line
    with pytest.raises(SpecError, match="target_loss"):
        load_claims("s.toml", [{**claim, "ratio": {**claim["ratio"], "target_loss": -1}}],
                    ["maml", "anil"], [])
