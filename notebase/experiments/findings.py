"""What a run found, computed from its rows: growth along a swept parameter, cost ratios
between algorithms, and whether each row learnt at all. Numbers only here; the sentences
are `notebase.experiments.finding_text`, the claims' verdicts `notebase.experiments.claims`.

**Growth.** For one algorithm and one metric along one swept parameter ``x`` three models
are fitted by least squares: *constant* ``y = c``, *linear* ``y = a + b·x`` and
*exponential* ``y = a·e^(r·x)`` (``a`` in closed form for each rate ``r``, ``r`` by a grid
then golden-section search). The model is chosen by leave-one-out cross-validation (each
point predicted by the model fitted to the others; mean squared error), not by eye:

- linear replaces constant only when its error is at least `CLEAR` times lower;
- linear and exponential, which do not nest, are told apart the same way: the one with the
  lower error wins, and clearly only when it is `CLEAR` times lower than the other;
- growth shown by fewer than `SHAPE_POINTS` points is growth of unknown shape;
- fewer than 3 points, a winner that is not clear, or a trend no larger than its noise
  (the least-squares slope within Student's 99% interval of zero) is *inconclusive*, said
  as such.

**Ratios** of two algorithms' time, memory and tasks/s are taken at each sweep point and
reported as their min-max. **Validity**: a row whose held-out loss after adaptation is not
at most `LEARNT` × its loss before adaptation "did not learn"; an iMAML row whose conjugate
gradient met non-positive curvature, or ended with a relative residual above
`CG_RESIDUAL`, has an unreliable implicit gradient.

numpy only (a dependency already); imports no torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

CLEAR = 2.0
"""How many times lower the winning model's cross-validated error must be to call it clear."""
MIN_POINTS = 3
"""Fewer sweep points than this cannot tell a line from a constant."""
SHAPE_POINTS = 4
"""Fewer sweep points than this show growth but cannot tell linear from exponential (each
left-out point would be predicted from two)."""
LEARNT = 0.9
"""A row learnt when post-adaptation loss <= LEARNT x pre-adaptation loss."""
CG_RESIDUAL = 0.1
"""An iMAML conjugate-gradient solve that ends above this relative residual did not converge."""


@dataclass(slots=True)
class Growth:
    """How one metric of one algorithm grows along one swept parameter."""

    algorithm: str
    metric: str
    along: str
    xs: list[float]
    ys: list[float]
    model: str | None
    """The winning model (`notebase.experiments.finding_words.MODELS`), or None when there is no fit at all (too few points)."""
    conclusive: bool
    reason: str = ""
    """Why it is inconclusive, as a code (empty when conclusive): ``few-points``,
    ``not-finite``, ``tie`` (flat and growing fit about equally), ``shape`` (it grows, but
    fewer than `SHAPE_POINTS` points cannot tell linear from exponential), ``noise`` (the trend is
    within its noise: slope not clear of zero at 99%, or a flat
    metric scattered by more than `FLAT` of its mean), ``weak`` (the winner is not `CLEAR`)."""
    slope: float = 0.0
    """Linear: metric units per unit of ``along``."""
    factor: float = 1.0
    """Exponential: growth factor per unit of ``along`` (``e^r``)."""
    strength: float = math.inf
    """The runner-up's cross-validated error over the winner's (how clearly it wins)."""
    runner_up: str | None = None
    errors: dict[str, float] = field(default_factory=dict)
    """Leave-one-out mean squared error per model fitted."""


def _fit_constant(x: np.ndarray, y: np.ndarray):
    c = float(y.mean())
    return lambda t: np.full_like(np.asarray(t, dtype=float), c), (c,)


def _fit_linear(x: np.ndarray, y: np.ndarray):
    if np.ptp(x) == 0:
        return _fit_constant(x, y)[0], (float(y.mean()), 0.0)
    b, a = np.polyfit(x, y, 1)
    return lambda t: a + b * np.asarray(t, dtype=float), (float(a), float(b))


def _exp_for_rate(x: np.ndarray, y: np.ndarray, r: float, x0: float):
    e = np.exp(r * (x - x0))
    denominator = float(e @ e)
    a = float(y @ e) / denominator if denominator > 0 else 0.0
    return a, float(((y - a * e) ** 2).sum())


def _fit_exponential(x: np.ndarray, y: np.ndarray):
    """``y = a·e^(r·x)``, least squares on y itself (not log y)."""
    x0 = float(x.min())
    span = float(np.ptp(x)) or 1.0
    grid = np.linspace(-20.0 / span, 20.0 / span, 801)
    rss = [_exp_for_rate(x, y, r, x0)[1] for r in grid]
    best = int(np.argmin(rss))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    golden = (math.sqrt(5) - 1) / 2
    for _ in range(60):
        m1, m2 = hi - golden * (hi - lo), lo + golden * (hi - lo)
        if _exp_for_rate(x, y, m1, x0)[1] <= _exp_for_rate(x, y, m2, x0)[1]:
            hi = m2
        else:
            lo = m1
    r = (lo + hi) / 2
    a, _ = _exp_for_rate(x, y, r, x0)
    return lambda t: a * np.exp(r * (np.asarray(t, dtype=float) - x0)), (a, float(r))


_FITTERS = {"constant": _fit_constant, "linear": _fit_linear, "exponential": _fit_exponential}


def loo_error(model: str, x: np.ndarray, y: np.ndarray) -> float:
    """Leave-one-out mean squared prediction error of ``model`` on the points."""
    errors = []
    for i in range(len(x)):
        keep = np.arange(len(x)) != i
        predict, _ = _FITTERS[model](x[keep], y[keep])
        errors.append(float(predict(x[i : i + 1])[0] - y[i]) ** 2)
    return float(np.mean(errors))


def fit_growth(
    xs: Sequence[float],
    ys: Sequence[float],
    *,
    algorithm: str = "",
    metric: str = "",
    along: str = "",
) -> Growth:
    """Choose constant, linear or exponential growth for the points (see the module)."""
    order = np.argsort(np.asarray(xs, dtype=float), kind="stable")
    x = np.asarray(xs, dtype=float)[order]
    y = np.asarray(ys, dtype=float)[order]
    growth = Growth(algorithm, metric, along, x.tolist(), y.tolist(), None, False)
    distinct = len(set(x.tolist()))
    if distinct < MIN_POINTS or not np.all(np.isfinite(y)):
        growth.reason = "few-points" if np.all(np.isfinite(y)) else "not-finite"
        return growth
    scale = float(np.abs(y).mean()) or 1.0
    tiny = (1e-9 * scale) ** 2
    errors = {m: loo_error(m, x, y) for m in ("constant", "linear")}
    if np.all(y > 0):
        errors["exponential"] = loo_error("exponential", x, y)
    growth.errors = errors
    constant, linear = errors["constant"] + tiny, errors["linear"] + tiny
    grows = "exponential" if errors.get("exponential", math.inf) < errors["linear"] else "linear"
    best_growth = errors[grows] + tiny
    if best_growth * CLEAR > constant:  # growing is not clearly better than flat
        growth.model, growth.runner_up = "constant", grows
        growth.strength = best_growth / constant
        if linear < constant:  # a line fits somewhat better: neither is clear
            growth.reason = "tie"
            return growth
        if float(np.std(y, ddof=1)) > FLAT * scale:  # too scattered to call flat
            growth.reason = "noise"
            return growth
        growth.conclusive = True
        return growth
    other = "linear" if grows == "exponential" else "exponential"
    growth.model, growth.runner_up = grows, other
    other_error = errors.get(other, math.inf) + tiny
    growth.strength = other_error / best_growth
    predict, params = _FITTERS[grows](x, y)
    if grows == "linear":
        growth.slope = params[1]
    else:
        growth.factor = math.exp(params[1])
    if distinct < SHAPE_POINTS:
        growth.reason = "shape" if _trend_is_clear(x, y) else "noise"
    elif not _trend_is_clear(x, np.log(y) if grows == "exponential" else y):
        growth.reason = "noise"
    elif growth.strength < CLEAR:
        growth.reason = "weak"
    else:
        growth.conclusive = True
    return growth


_T99 = {1: 63.66, 2: 9.92, 3: 5.84, 4: 4.60, 5: 4.03, 6: 3.71, 7: 3.50, 8: 3.36, 9: 3.25}
"""Two-sided 99% points of Student's t by degrees of freedom (3.0 beyond: 10 and more)."""
FLAT = 0.1
"""A flat metric is called constant only when its scatter is within this share of its mean."""


def _trend_is_clear(x: np.ndarray, y: np.ndarray) -> bool:
    """The least-squares slope is larger than its noise: ``|b| / SE(b)`` above Student's
    99% point for ``n - 2`` degrees of freedom (of ``log y`` for exponential growth, so
    that clear growth of either kind has a clear trend; noise larger than the change over
    the sweep has none)."""
    dof = len(x) - 2
    b, a = np.polyfit(x, y, 1)
    residual = float(((y - (a + b * x)) ** 2).sum())
    spread = float(((x - x.mean()) ** 2).sum())
    scale = float(np.abs(y).mean()) or 1.0
    if residual <= (1e-12 * scale) ** 2 * len(x):
        return abs(b) * float(np.ptp(x)) > 1e-9 * scale
    error = math.sqrt(residual / dof / spread)
    return abs(b) / error > _T99.get(dof, 3.0)


# --------------------------------------------------------------------------- rows


def sweep_values(rows: Sequence[dict], along: str) -> list:
    """The distinct values of ``along`` in the rows, in order."""
    return sorted({row[along] for row in rows if isinstance(row.get(along), int | float)})


def growth_of(rows: Sequence[dict], algorithm: str, metric: str, along: str) -> Growth:
    """`fit_growth` of one algorithm's ``metric`` along ``along`` (rows of other values of
    other swept parameters are averaged per ``along`` value)."""
    points: dict[float, list[float]] = {}
    for row in rows:
        value = row.get(metric)
        if row.get("algorithm") == algorithm and isinstance(row.get(along), int | float):
            number = float(value) if isinstance(value, int | float) else math.nan
            points.setdefault(float(row[along]), []).append(number)
    xs = sorted(points)
    ys = [float(np.mean(points[x])) for x in xs]
    return fit_growth(xs, ys, algorithm=algorithm, metric=metric, along=along)


@dataclass(slots=True)
class Ratio:
    """``of``'s metric over ``to``'s, at each sweep point both have."""

    of: str
    to: str
    metric: str
    values: list[float]

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)


def _point(row: dict, keys: Sequence[str]) -> tuple:
    return tuple(row.get(key) for key in keys)


def ratio_of(rows: Sequence[dict], of: str, to: str, metric: str, keys: Sequence[str]) -> Ratio:
    """The ratio at every sweep point (``keys``: the swept parameters) where both
    algorithms have a positive value; empty ``values`` when none."""
    theirs = {_point(row, keys): row.get(metric) for row in rows if row.get("algorithm") == to}
    values = []
    for row in rows:
        if row.get("algorithm") != of:
            continue
        mine, other = row.get(metric), theirs.get(_point(row, keys))
        if isinstance(mine, int | float) and isinstance(other, int | float) and other > 0:
            values.append(float(mine) / float(other))
    return Ratio(of, to, metric, values)


def cheapest_reaching(rows: Sequence[dict], algorithm: str, metric: str, target: float):
    """The algorithm's row with the lowest ``metric`` among those whose held-out loss after
    adaptation is at most ``target`` (cost at equal quality); None when none reaches it."""
    reaching = [
        row
        for row in rows
        if row.get("algorithm") == algorithm
        and isinstance(row.get("post_adaptation_loss"), int | float)
        and row["post_adaptation_loss"] <= target
        and isinstance(row.get(metric), int | float)
    ]
    return min(reaching, key=lambda row: row[metric]) if reaching else None


@dataclass(slots=True)
class Flag:
    """A row whose numbers should not be trusted as they stand."""

    algorithm: str
    point: dict
    kind: str
    """``did-not-learn``, ``cg-curvature`` or ``cg-residual``."""
    figures: dict


def validity_flags(rows: Sequence[dict], keys: Sequence[str]) -> list[Flag]:
    """Rows that did not learn, and iMAML rows whose conjugate gradient misbehaved."""
    flags = []
    for row in rows:
        point = {key: row.get(key) for key in keys}
        pre, post = row.get("pre_adaptation_loss"), row.get("post_adaptation_loss")
        if isinstance(pre, int | float) and isinstance(post, int | float):
            if not (math.isfinite(post) and post <= LEARNT * pre):
                flags.append(
                    Flag(
                        row.get("algorithm", "?"),
                        point,
                        "did-not-learn",
                        {"pre": pre, "post": post},
                    )
                )
        negative = row.get("cg_nonpositive_fraction")
        if isinstance(negative, int | float) and negative > 0:
            flags.append(
                Flag(row.get("algorithm", "?"), point, "cg-curvature", {"fraction": negative})
            )
        residual = row.get("cg_relative_residual")
        if isinstance(residual, int | float) and residual > CG_RESIDUAL:
            flags.append(
                Flag(row.get("algorithm", "?"), point, "cg-residual", {"residual": residual})
            )
    return flags


# --------------------------------------------------------------------------- processes

PAYS = 1.1
"""Splitting a meta-batch across processes pays when it gives at least this many times the
tasks/s of one process (below, timing noise on a loaded machine could be all there is)."""
COMMUNICATION_EATS = 0.25
"""A split that does not pay while the gather takes at least this share of an iteration: the
communication ate the gain."""


@dataclass(slots=True)
class Scaling:
    """One row run on several processes against the same point on one."""

    algorithm: str
    point: dict
    """The other swept parameters (``processes`` left out)."""
    processes: int
    speedup: float
    """Tasks/s on `processes` over tasks/s on one."""
    tasks_per_second: float
    single: float
    """Tasks/s on one process."""
    share: float | None
    """Share of an iteration spent in the gather (waiting for the slowest rank included)."""

    @property
    def verdict(self) -> str:
        """``pays``, ``eaten`` (communication ate the gain) or ``no-gain``."""
        if self.speedup >= PAYS:
            return "pays"
        if self.share is not None and self.share >= COMMUNICATION_EATS:
            return "eaten"
        return "no-gain"


def scaling_of(rows: Sequence[dict], keys: Sequence[str]) -> list[Scaling]:
    """Every row trained on more than one process, against the row of the same algorithm and
    the same other swept parameters on one process (``world_size`` of the rows)."""
    others = [key for key in keys if key != "processes"]
    single = {
        (row.get("algorithm"), _point(row, others)): row
        for row in rows
        if row.get("world_size") == 1 and isinstance(row.get("tasks_per_second"), int | float)
    }
    found = []
    for row in rows:
        size, rate = row.get("world_size"), row.get("tasks_per_second")
        base = single.get((row.get("algorithm"), _point(row, others)))
        if not (isinstance(size, int) and size > 1 and isinstance(rate, int | float) and base):
            continue
        if base["tasks_per_second"] <= 0:
            continue
        share = row.get("communication_share")
        found.append(Scaling(
            str(row.get("algorithm")), {key: row.get(key) for key in others}, size,
            float(rate) / float(base["tasks_per_second"]), float(rate),
            float(base["tasks_per_second"]), float(share) if isinstance(share, int | float) else None,
        ))
    return found
