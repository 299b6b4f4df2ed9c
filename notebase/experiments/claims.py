"""Claims a spec states about its results, checked against a run: declarative TOML, nothing
is evaluated as code.

::

    [[claims]]
    id = "memory-exponential"        # optional, a plain name; default claim1, claim2 ...
    text = "2차 미분 때문에 비용이 기하급수적으로 늘어난다"
    growth = { algorithm = "maml", metric = "peak_memory_bytes", along = "inner_steps" }
    expect = "exponential"           # constant | linear | exponential

    [[claims]]
    text = "MAML은 FOMAML의 두 배 이상 계산한다"
    ratio = { of = "maml", to = "fomaml", metric = "seconds_per_iteration" }
    at_least = 2.0                   # and/or at_most

    [[claims]]                       # cost at equal quality
    text = "같은 검증 손실에 이르는 데 MAML이 FOMAML보다 싸다"
    ratio = { of = "maml", to = "fomaml", metric = "seconds_per_iteration", target_loss = 1.0 }
    at_most = 1.0

A growth claim is *supported* when the fit (`notebase.experiments.findings.fit_growth`)
conclusively chooses the expected model, *not supported* when it conclusively chooses
another, else *inconclusive*. A ratio claim is supported when the ratio meets the bound at
every sweep point, not supported when it misses it at every point, else inconclusive. With
``target_loss`` the ratio is taken *at equal quality*: between each algorithm's cheapest row
(sweep point) whose held-out loss after adaptation reaches the target; when one of them never
reaches it, the claim is inconclusive.
A note points a sentence at a claim by linking ``[[experiments/NAME#ID]]`` after it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notebase.errors import SpecError
from notebase.experiments.finding_words import METRICS, MODELS

if TYPE_CHECKING:
    from notebase.experiments.findings import Growth, Ratio

VERDICTS = ("supported", "not-supported", "inconclusive")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_KEYS = {"id", "text", "growth", "expect", "ratio", "at_least", "at_most"}


def _fail(path: Path, index: int, problem: str) -> SpecError:
    return SpecError(f"{path}: claims[{index}]: {problem}")


def load_claims(
    path: Path, raw: Any, algorithms: list[str], swept: list[str]
) -> list[dict[str, Any]]:
    """The spec's ``[[claims]]`` checked (one-line `SpecError` on any mistake), as plain
    dicts with their ``id`` filled in. ``swept``: the parameters ``[params]`` sweeps."""
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise SpecError(f"{path}: claims: expected [[claims]] tables")
    claims, seen = [], set()
    for index, claim in enumerate(raw, start=1):
        unknown = sorted(set(claim) - _KEYS)
        if unknown:
            raise _fail(
                path, index, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_KEYS))})"
            )
        claim_id = claim.get("id", f"claim{index}")
        if not isinstance(claim_id, str) or not _ID.fullmatch(claim_id):
            raise _fail(path, index, f"id {claim_id!r}: letters, digits, - and _ only")
        if claim_id in seen:
            raise _fail(path, index, f"id {claim_id!r} is used twice")
        seen.add(claim_id)
        text = claim.get("text")
        if not isinstance(text, str) or not text.strip():
            raise _fail(path, index, "text: expected the claim as a sentence")
        kinds = [kind for kind in ("growth", "ratio") if kind in claim]
        if len(kinds) != 1:
            raise _fail(path, index, "give exactly one of growth = {...} or ratio = {...}")
        checked: dict[str, Any] = {"id": claim_id, "text": text.strip()}
        if kinds == ["growth"]:
            checked.update(_growth(path, index, claim, algorithms, swept))
        else:
            checked.update(_ratio(path, index, claim, algorithms))
        claims.append(checked)
    return claims


def _algorithm(path, index, name, algorithms) -> str:
    if name not in algorithms:
        raise _fail(
            path, index, f"unknown algorithm {name!r} (this spec runs: {', '.join(algorithms)})"
        )
    return name


def _metric(path, index, name) -> str:
    if name not in METRICS:
        raise _fail(path, index, f"unknown metric {name!r} (allowed: {', '.join(METRICS)})")
    return name


def _growth(path, index, claim, algorithms, swept) -> dict[str, Any]:
    growth = claim["growth"]
    if not isinstance(growth, dict) or set(growth) != {"algorithm", "metric", "along"}:
        raise _fail(path, index, "growth: expected { algorithm = ..., metric = ..., along = ... }")
    if "at_least" in claim or "at_most" in claim:
        raise _fail(path, index, "at_least/at_most belong to a ratio claim")
    if not swept:
        raise _fail(path, index, "a growth claim needs a swept parameter; [params] sweeps none")
    along = growth["along"]
    if along not in swept:
        raise _fail(
            path, index, f"growth.along: {along!r} is not swept (swept: {', '.join(swept)})"
        )
    expect = claim.get("expect")
    if expect not in MODELS:
        raise _fail(path, index, f"expect: got {expect!r}, expected one of {', '.join(MODELS)}")
    return {
        "growth": {
            "algorithm": _algorithm(path, index, growth["algorithm"], algorithms),
            "metric": _metric(path, index, growth["metric"]),
            "along": along,
        },
        "expect": expect,
    }


def _ratio(path, index, claim, algorithms) -> dict[str, Any]:
    ratio = claim["ratio"]
    if not isinstance(ratio, dict) or not {"of", "to", "metric"} <= set(ratio) <= {
        "of",
        "to",
        "metric",
        "target_loss",
    }:
        raise _fail(
            path, index, "ratio: expected { of = ..., to = ..., metric = ... } (+ target_loss)"
        )
    target = ratio.get("target_loss")
    if target is not None and (
        isinstance(target, bool)
        or not isinstance(target, int | float)
        or not math.isfinite(target)
        or target <= 0
    ):
        raise _fail(path, index, f"ratio.target_loss: got {target!r}, expected a number > 0")
    if "expect" in claim:
        raise _fail(path, index, "expect belongs to a growth claim")
    bounds = {key: claim[key] for key in ("at_least", "at_most") if key in claim}
    if not bounds:
        raise _fail(path, index, "a ratio claim needs at_least and/or at_most")
    for key, value in bounds.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (math.isfinite(value) and value > 0)
        ):
            raise _fail(path, index, f"{key}: got {value!r}, expected a number > 0")
    if ratio["of"] == ratio["to"]:
        raise _fail(path, index, "ratio: of and to name the same algorithm")
    checked = {
        "of": _algorithm(path, index, ratio["of"], algorithms),
        "to": _algorithm(path, index, ratio["to"], algorithms),
        "metric": _metric(path, index, ratio["metric"]),
    }
    if target is not None:
        checked["target_loss"] = float(target)
    return {"ratio": checked, **{key: float(value) for key, value in bounds.items()}}


# --------------------------------------------------------------------------- verdicts


@dataclass(slots=True)
class Verdict:
    """A claim checked against one run's rows."""

    claim: dict[str, Any]
    verdict: str
    """One of `VERDICTS`."""
    growth: Growth | None = None
    ratio: Ratio | None = None
    holds_at: int = 0
    """Ratio claims: at how many sweep points the bound holds."""
    keys: list[str] = field(default_factory=list)
    """The run's swept parameters (where a row sits)."""
    reaching: dict[str, dict | None] = field(default_factory=dict)
    """Equal-quality ratio claims: each algorithm's cheapest row that reaches the target
    held-out loss (None: none does)."""
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.claim["id"])


def check_claim(claim: dict[str, Any], rows: list[dict], keys: list[str]) -> Verdict:
    """The verdict on one checked claim; ``keys`` are the run's swept parameters."""
    from notebase.experiments.findings import Ratio, cheapest_reaching, growth_of, ratio_of

    if "growth" in claim:
        spec = claim["growth"]
        growth = growth_of(rows, spec["algorithm"], spec["metric"], spec["along"])
        if not growth.conclusive:
            verdict = "inconclusive"
        else:
            verdict = "supported" if growth.model == claim["expect"] else "not-supported"
        return Verdict(claim, verdict, growth=growth)
    spec = claim["ratio"]
    reaching: dict[str, dict | None] = {}
    if "target_loss" in spec:  # at equal quality: the cheapest row of each that reaches it
        for name in (spec["of"], spec["to"]):
            reaching[name] = cheapest_reaching(rows, name, spec["metric"], spec["target_loss"])
        a, b = reaching[spec["of"]], reaching[spec["to"]]
        values = [a[spec["metric"]] / b[spec["metric"]]] if a and b and b[spec["metric"]] else []
        ratio = Ratio(spec["of"], spec["to"], spec["metric"], values)
    else:
        ratio = ratio_of(rows, spec["of"], spec["to"], spec["metric"], keys)
    if not ratio.values:
        return Verdict(claim, "inconclusive", ratio=ratio, keys=list(keys), reaching=reaching)
    low, high = claim.get("at_least", -math.inf), claim.get("at_most", math.inf)
    holds = sum(1 for value in ratio.values if low <= value <= high)
    if holds == len(ratio.values):
        verdict = "supported"
    elif holds == 0:
        verdict = "not-supported"
    else:
        verdict = "inconclusive"
    return Verdict(claim, verdict, ratio=ratio, holds_at=holds, keys=list(keys), reaching=reaching)


def check_claims(record: dict, keys: list[str]) -> list[Verdict]:
    """The verdicts on the claims the record's spec states (none for a spec without)."""
    claims = (record.get("spec") or {}).get("claims") or []
    rows = record.get("results") or []
    return [check_claim(claim, rows, keys) for claim in claims if isinstance(claim, dict)]
