"""A spec's sweep: its parameters resolved (task defaults, ``[params]``, ``[quick]``), the
swept ones, the points of their cartesian product, counted without building them
(`sweep_size`) and bounded (`MAX_SWEEP_POINTS`), and the checks that need several
parameters together (`check_points`). Imports no torch.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notebase.experiments.params import DEFAULTS, DIGITS_MIN_PER_CLASS, field_error

if TYPE_CHECKING:
    from notebase.experiments.spec import Spec

MAX_SWEEP_POINTS = 1000
"""Most points one sweep (``[params]``, or ``[params]`` with ``[quick]``) may have."""


def _values(merged: dict[str, Any], key: str) -> list[Any]:
    value = merged[key]
    return value if isinstance(value, list) else [value]


def sweep_size(spec: Spec, quick: bool) -> int:
    """How many points `sweep_points` would give: the product of the lists' lengths, counted
    without building a single point."""
    merged = resolved_params(spec, quick)
    return math.prod(len(_values(merged, key)) for key in swept_keys(spec, quick))


def check_points(path: Path, spec: Spec) -> None:
    """Checks that need several parameters together (impossible combinations), on the
    extremes of each swept parameter: no sweep point is built, so a huge sweep costs nothing
    here (and is refused beyond `MAX_SWEEP_POINTS`)."""
    for table in ("params", "quick"):
        if "first_order" in getattr(spec, table) and "anil" not in spec.algorithms:
            raise field_error(path, f"{table}.first_order", "only used by anil, which is not listed")
    for quick in (False, True):
        table = "quick" if quick else "params"
        size = sweep_size(spec, quick)
        if size > MAX_SWEEP_POINTS:
            lengths = " x ".join(
                str(len(_values(resolved_params(spec, quick), key)))
                for key in swept_keys(spec, quick)
            )
            raise field_error(
                path,
                table,
                f"the sweep has {size:,} points ({lengths}); at most {MAX_SWEEP_POINTS:,} are "
                "allowed: sweep fewer values, or split it into several specs",
            )
        merged = resolved_params(spec, quick)
        # Every combination exists in a cartesian product, so the worst one is made of the
        # extremes of each list.
        if spec.task == "digits":
            per_class = max(_values(merged, "shots")) + max(_values(merged, "query"))
            if per_class > DIGITS_MIN_PER_CLASS:
                raise field_error(
                    path,
                    f"{table}.shots",
                    f"shots + query = {per_class} examples per class, "
                    f"but digits has only {DIGITS_MIN_PER_CLASS} per class",
                )
        warmup, iterations = max(_values(merged, "warmup")), min(_values(merged, "meta_iterations"))
        if warmup >= iterations:
            raise field_error(
                path,
                f"{table}.warmup",
                f"warmup ({warmup}) must be smaller than meta_iterations ({iterations})",
            )


def resolved_params(spec: Spec, quick: bool) -> dict[str, Any]:
    """Task defaults, then ``[params]``, then ``[quick]`` when asked (lists still unexpanded)."""
    merged = dict(DEFAULTS[spec.task])
    merged.update(spec.params)
    if quick:
        merged.update(spec.quick)
    return merged


def sweep_points(spec: Spec, quick: bool) -> list[dict[str, Any]]:
    """One dict of concrete parameters per combination of the list-valued parameters.

    `SpecError` beyond `MAX_SWEEP_POINTS` (a spec changed in code after `load_spec`)."""
    size = sweep_size(spec, quick)
    if size > MAX_SWEEP_POINTS:
        raise field_error(
            spec.path, "quick" if quick else "params",
            f"the sweep has {size:,} points; at most {MAX_SWEEP_POINTS:,} are allowed",
        )
    merged = resolved_params(spec, quick)
    swept = swept_keys(spec, quick)
    points = []
    for combo in itertools.product(*(merged[key] for key in swept)):
        point = dict(merged)
        point.update(zip(swept, combo, strict=True))
        point.setdefault("eval_lr", point["inner_lr"])
        points.append(point)
    return points


def swept_keys(spec: Spec, quick: bool) -> list[str]:
    """Names of the parameters that take more than one value in this run."""
    merged = resolved_params(spec, quick)
    return [key for key, value in merged.items() if isinstance(value, list)]
