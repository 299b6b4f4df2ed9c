"""A run's findings and claim verdicts as short sentences with their figures, in the note's
language (Korean when Hangul makes up a fair share of the note's letters, else English).

`summarize(record, language)` gives what `notebase.experiments.results_markdown` writes
into the block: the one-line summary, the finding and claim lines, the block's status
(``answered`` when something was found conclusively, else ``inconclusive``) and the claims'
verdicts for the marker. The numbers come from `notebase.experiments.findings` and
`notebase.experiments.claims`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from notebase.experiments.claims import Verdict, check_claims
from notebase.experiments.finding_words import MODEL_NAMES, PARAMETERS, UNIT_OF, WORDS
from notebase.experiments.findings import (
    MIN_POINTS,
    Growth,
    Ratio,
    Scaling,
    growth_of,
    ratio_of,
    scaling_of,
    sweep_values,
    validity_flags,
)

_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_LATIN = re.compile(r"[A-Za-z]")
KOREAN_SHARE = 0.2
"""A note is Korean when Hangul is at least this share of its Hangul and Latin letters."""


def language_of(text: str) -> str:
    """``ko`` or ``en`` for a note's text."""
    hangul = len(_HANGUL.findall(text))
    latin = len(_LATIN.findall(text))
    return "ko" if hangul and hangul >= KOREAN_SHARE * (hangul + latin) else "en"


def _number(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def metric_value(metric: str, value: float) -> str:
    """A metric's value with its unit: bytes in KiB/MiB, seconds in ms, tasks/s."""
    from notebase.experiments.results_markdown import human_bytes

    if metric == "peak_memory_bytes":
        return human_bytes(value) if value >= 0 else "−" + human_bytes(-value)
    if metric == "seconds_per_iteration":
        return f"{_number(value * 1000)} ms"
    return f"{_number(value)} tasks/s"


def _times(value: float) -> str:
    return ">1,000" if value > 1000 else f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _where(point: dict, language: str) -> str:
    names = PARAMETERS[language]
    return ", ".join(f"{names.get(k, k)} {v}" for k, v in point.items()) or "—"


def _where_all(points: list[dict], language: str) -> str:
    """``inner steps 1, 3, 6`` for points of one swept parameter, else each point."""
    keys = {key for point in points for key in point}
    if len(keys) == 1:
        (key,) = keys
        name = PARAMETERS[language].get(key, key)
        return f"{name} " + ", ".join(str(point[key]) for point in points)
    return "; ".join(_where(point, language) for point in points)


def _span(values: list[float], spec: str) -> str:
    low, high = format(min(values), spec), format(max(values), spec)
    return low if low == high else f"{low}–{high}"


def growth_sentence(growth: Growth, language: str) -> str:
    """One algorithm's growth of one metric, with its figures and how clearly it was chosen."""
    w = WORDS[language]
    metric = w[growth.metric]
    along = PARAMETERS[language].get(growth.along, growth.along)
    models = MODEL_NAMES[language]
    points = w["points"].format(n=len(growth.xs))
    if not growth.conclusive:
        why = w[growth.reason].format(
            n=len(growth.xs),
            winner=models.get(growth.model or "", ""),
            other=models.get(growth.runner_up or "", ""),
            times=_times(growth.strength),
        )
        return f"{growth.algorithm}: " + w["undecided"].format(metric=metric, along=along, why=why)
    how = (
        w["better"].format(
            winner=models[growth.model],
            other=models[growth.runner_up or "linear"],
            times=_times(growth.strength),
        )
        + f", {points}"
    )
    if growth.model == "constant":
        how = f"{w['flat_how']}, {points}"
        mean = sum(growth.ys) / len(growth.ys)
        return f"{growth.algorithm}: " + w["flat"].format(
            metric=metric, along=along, value=metric_value(growth.metric, mean), how=how
        )
    unit = UNIT_OF.get(growth.along, {}).get(language, growth.along)
    if growth.model == "linear":
        sign = "+" if growth.slope >= 0 else ""
        rate = f", {sign}{metric_value(growth.metric, growth.slope)}/{unit}"
    else:
        rate = f", ×{growth.factor:.3g}/{unit}"
    return f"{growth.algorithm}: " + w["growth"].format(
        metric=metric, along=along, model=w[growth.model], rate=rate, how=how
    )


def short_growth(growth: Growth, language: str) -> str:
    """A conclusive growth in a few words: ``peak memory linear (+279 KiB/step)``."""
    w = WORDS[language]
    name = MODEL_NAMES[language][growth.model or "constant"]
    unit = UNIT_OF.get(growth.along, {}).get(language, growth.along)
    if growth.model == "linear":
        rate = f"+{metric_value(growth.metric, growth.slope)}/{unit}"
    elif growth.model == "exponential":
        rate = f"×{growth.factor:.3g}/{unit}"
    else:
        rate = "≈ " + metric_value(growth.metric, sum(growth.ys) / len(growth.ys))
    return f"{w[growth.metric]} {name} ({rate})"


def ratio_text(ratio: Ratio, language: str) -> str:
    w = WORDS[language]
    low, high = f"{ratio.low:.2g}", f"{ratio.high:.2g}"
    if low == high:
        return w["one_ratio"].format(metric=w[ratio.metric], low=low)
    return w["ratio_part"].format(metric=w[ratio.metric], low=low, high=high)


def verdict_line(verdict: Verdict, language: str) -> str:
    """``- `id` «text» — **verdict**: figures``."""
    w = WORDS[language]
    claim = verdict.claim
    bounds = []
    if "at_least" in claim:
        bounds.append(w["bound_least"].format(value=f"{claim['at_least']:g}"))
    if "at_most" in claim:
        bounds.append(w["bound_most"].format(value=f"{claim['at_most']:g}"))
    if verdict.growth is not None:
        figures = growth_sentence(verdict.growth, language)
    elif verdict.reaching:  # a ratio at equal quality
        metric, parts = claim["ratio"]["metric"], []
        for algorithm, row in verdict.reaching.items():
            if row is None:
                parts.append(w["never"].format(algorithm=algorithm))
            else:
                where = _where({k: row.get(k) for k in verdict.keys}, language)
                parts.append(
                    w["reach_part"].format(
                        algorithm=algorithm,
                        value=metric_value(metric, row[metric]),
                        where=where,
                    )
                )
        target = f"{claim['ratio']['target_loss']:g}"
        figures = w["equal"].format(target=target, parts=", ".join(parts))
        if verdict.ratio is not None and verdict.ratio.values:
            figures += w["equal_ratio"].format(
                of=verdict.ratio.of,
                to=verdict.ratio.to,
                ratio=f"{verdict.ratio.low:.2g}",
                bound=", ".join(bounds),
            )
    elif verdict.ratio is not None and verdict.ratio.values:
        ratio = verdict.ratio
        figures = f"{ratio.of}/{ratio.to} {w[ratio.metric]}: " + w["ratio_claim"].format(
            low=f"{ratio.low:.2g}",
            high=f"{ratio.high:.2g}",
            holds=verdict.holds_at,
            n=len(ratio.values),
            bound=", ".join(bounds),
        )
    else:
        figures = w["no_rows"]
    text = " ".join(str(claim["text"]).split())
    return f"- `{verdict.id}` «{text}» — **{w[verdict.verdict]}**: {figures}"


@dataclass(slots=True)
class Summary:
    """What `results_markdown.render_block` writes about a run besides its table."""

    language: str
    summary: str
    """One line: the answer as the note's questions show it."""
    findings: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    status: str = "inconclusive"
    """``answered`` (a conclusive finding or verdict) or ``inconclusive``."""


def summarize(record: dict, language: str, keys: list[str]) -> Summary:
    """Findings and verdicts for a record's rows; ``keys`` are its swept parameters."""
    w = WORDS[language]
    rows = [row for row in record.get("results") or [] if isinstance(row, dict)]
    algorithms = list(dict.fromkeys(str(row.get("algorithm")) for row in rows))
    findings: list[str] = []
    conclusive: list[str] = []
    """Compact conclusive growths, memory first, for the one-line summary."""
    scalings = scaling_of(rows, keys)
    findings += [scaling_sentence(scaling, language) for scaling in scalings]
    loads = [r["load_average"] for r in rows if isinstance(r.get("load_average"), int | float)]
    cpus = {r.get("cpus") for r in rows if isinstance(r.get("cpus"), int)}
    # The run's own ranks count in the load: only what is left above them is other work.
    own = max((r.get("world_size") or 1 for r in rows), default=1)
    if scalings and loads and len(cpus) == 1 and max(loads) - own > 0.5 * next(iter(cpus)):
        findings.append(w["load"].format(cpus=next(iter(cpus)), load=_span(loads, ".1f")))
    for along in keys:
        # Beside a comparison of world sizes, a growth too short to fit says nothing.
        short_sweep = scalings and len(sweep_values(rows, along)) < MIN_POINTS
        if along == "processes" or short_sweep or len(sweep_values(rows, along)) < 2:
            continue
        for algorithm in algorithms:
            parts, short = [], []
            for metric in ("peak_memory_bytes", "seconds_per_iteration"):
                growth = growth_of(rows, algorithm, metric, along)
                sentence = growth_sentence(growth, language)
                parts.append(sentence.removeprefix(f"{algorithm}: "))
                if growth.conclusive:
                    short.append(short_growth(growth, language))
            findings.append(f"{algorithm}: " + "; ".join(parts))
            if short and not conclusive:
                conclusive.append(f"{algorithm}: " + ", ".join(short))
    comparisons = []
    for other in algorithms[1:]:
        ratios = [
            ratio_of(rows, algorithms[0], other, metric, keys)
            for metric in ("seconds_per_iteration", "peak_memory_bytes", "tasks_per_second")
        ]
        ratios = [ratio for ratio in ratios if ratio.values]
        if ratios:
            parts = ", ".join(ratio_text(ratio, language) for ratio in ratios)
            comparisons.append(w["ratio"].format(of=algorithms[0], to=other, parts=parts))
    findings += comparisons
    best: list[str] = []
    learnt, learnt_line = False, ""
    for algorithm in algorithms:
        mine = [
            r
            for r in rows
            if r.get("algorithm") == algorithm
            and isinstance(r.get("post_adaptation_loss"), int | float)
        ]
        if mine:
            low = min(mine, key=lambda r: r["post_adaptation_loss"])
            best.append(
                w["learnt_part"].format(
                    algorithm=algorithm,
                    post=f"{low['post_adaptation_loss']:.3g}",
                    pre=f"{low.get('pre_adaptation_loss', float('nan')):.3g}",
                )
            )
    flags = validity_flags(rows, keys)
    if best:
        learnt_line = w["learnt"].format(parts=", ".join(best))
        findings.append(learnt_line)
        unlearnt = {
            (f.algorithm, tuple(f.point.items())) for f in flags if f.kind == "did-not-learn"
        }
        learnt = len(unlearnt) < len(rows)
    grouped: dict[tuple[str, str], list] = {}
    for flag in flags:  # one sentence per algorithm and kind, the points and figures joined
        grouped.setdefault((flag.algorithm, flag.kind), []).append(flag)
    for (algorithm, kind), same in grouped.items():
        findings.append(
            w[kind].format(
                algorithm=algorithm,
                where=_where_all([flag.point for flag in same], language),
                pre=_span([f.figures.get("pre", 0) for f in same], ".3g"),
                post=_span([f.figures.get("post", 0) for f in same], ".3g"),
                share=_span([f.figures.get("fraction", 0) for f in same], ".0%"),
                residual=_span([f.figures.get("residual", 0) for f in same], ".2g"),
            )
        )
    verdicts = check_claims(record, keys)
    claims = [verdict_line(verdict, language) for verdict in verdicts]
    decided = [v for v in verdicts if v.verdict != "inconclusive"]
    answered = bool(conclusive or comparisons or decided or learnt or scalings)
    if scalings:
        summary = scaling_summary(scalings, language)
    elif verdicts:
        summary = "; ".join(f"«{_short(v.claim['text'])}» {w[v.verdict]}" for v in verdicts)
    else:
        summary = "; ".join([*conclusive[:1], *comparisons[:1]]) or (
            learnt_line if learnt else w["none"]
        )
    return Summary(
        language, summary, findings, claims, verdicts, "answered" if answered else "inconclusive"
    )


def scaling_sentence(scaling: Scaling, language: str) -> str:
    """One multi-process row against one process: whether the split pays, and why not."""
    w = WORDS[language]
    share = "–" if scaling.share is None else f"{scaling.share:.0%}"
    return w["scaling"].format(
        algorithm=scaling.algorithm, where=_where(scaling.point, language), n=scaling.processes,
        verdict=w[scaling.verdict], speedup=f"{scaling.speedup:.2f}",
        rate=_number(scaling.tasks_per_second), single=_number(scaling.single), share=share,
    )


def scaling_summary(scalings: list[Scaling], language: str) -> str:
    """Where splitting pays and where it does not, in one line."""
    w = WORDS[language]
    n = "/".join(str(size) for size in sorted({s.processes for s in scalings}))
    pays = [s for s in scalings if s.verdict == "pays"]
    rest = [s for s in scalings if s.verdict != "pays"]
    if not pays:
        best = max(scalings, key=lambda s: s.speedup)
        return w["scaling_none"].format(n=n, best=f"{best.speedup:.2f}",
                                        where=_where(best.point, language))
    if not rest:
        return w["scaling_all"].format(n=n, low=f"{min(s.speedup for s in pays):.2f}",
                                       high=f"{max(s.speedup for s in pays):.2f}")

    def at(group: list[Scaling]) -> str:
        return "; ".join(f"{_where(s.point, language)} ({s.speedup:.2f}×)" for s in group)

    return w["scaling_summary"].format(n=n, pays=at(pays), rest=at(rest))


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
