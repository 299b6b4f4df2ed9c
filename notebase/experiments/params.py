"""The parameters an experiment spec may set: each one's rule (`PARAM_RULES`: kind, range,
the tasks it applies to), the defaults per task (`DEFAULTS`), and the check of a
``[params]`` or ``[quick]`` table against them (`check_params`). Imports no torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notebase.errors import SpecError

COUNT_MAX = 2**31 - 1
"""Largest value of a count parameter (steps, sizes, tasks): the int32 range."""


def field_error(path: Path, key: str, problem: str) -> SpecError:
    """The one-line error about `key` of the spec file `path`."""
    return SpecError(f"{path}: {key}: {problem}")


@dataclass(frozen=True)
class ParamRule:
    """How one parameter is checked and what it defaults to."""

    kind: type
    """`int`, `float` or `bool` (an int is accepted where a float is expected)."""
    minimum: float | None = None
    """Smallest allowed value (inclusive), if any."""
    exclusive_minimum: bool = False
    """True when the minimum itself is not allowed (e.g. a learning rate > 0)."""
    maximum: float | None = None
    """Largest allowed value (inclusive), if any."""
    tasks: tuple[str, ...] | None = None
    """Tasks this parameter applies to (None: every task in the registry)."""
    help: str = ""
    """What the parameter does, in one phrase (read by people here; no message prints it)."""
    words: tuple[str, ...] = ()
    """Strings allowed besides values of `kind` (``compile = "auto"``)."""

    def applies_to(self, task: str) -> bool:
        return self.tasks is None or task in self.tasks

    def allowed(self) -> str:
        kind = {int: "an integer", float: "a number", bool: "true or false"}[self.kind]
        kind += "".join(f' or "{word}"' for word in self.words)
        if self.minimum is None:
            return kind
        op = ">" if self.exclusive_minimum else ">="
        text = f"{kind} {op} {self.minimum:g}"
        if self.maximum is not None:
            text += f" and <= {self.maximum}" if self.kind is int else f" and <= {self.maximum:g}"
        return text


PARAM_RULES: dict[str, ParamRule] = {
    "inner_steps": ParamRule(
        int, 1, maximum=COUNT_MAX, help="gradient steps of task adaptation in meta-training"
    ),
    "inner_lr": ParamRule(float, 0, True, help="step size of task adaptation"),
    "meta_lr": ParamRule(float, 0, True, help="Adam step size of the meta-update"),
    "meta_batch": ParamRule(int, 1, maximum=COUNT_MAX, help="tasks per meta-iteration"),
    "meta_iterations": ParamRule(int, 1, maximum=COUNT_MAX, help="meta-updates per sweep point"),
    "shots": ParamRule(
        int, 1, maximum=COUNT_MAX,
        help="support examples per task (per class for classification)",
    ),
    "query": ParamRule(
        int, 1, maximum=COUNT_MAX, help="query examples per task (per class for classification)"
    ),
    "ways": ParamRule(int, 2, maximum=5, tasks=("digits",), help="classes per task"),
    "eval_tasks": ParamRule(
        int, 1, maximum=COUNT_MAX, help="held-out tasks for pre/post-adaptation loss"
    ),
    "eval_steps": ParamRule(int, 0, maximum=COUNT_MAX, help="adaptation steps on held-out tasks"),
    "eval_lr": ParamRule(float, 0, True, help="adaptation step size on held-out tasks"),
    # torch.manual_seed takes 64 bits; TOML integers are signed 64-bit.
    "seed": ParamRule(int, 0, maximum=2**63 - 1, help="seed of model init and task sampling"),
    "hidden": ParamRule(int, 1, maximum=COUNT_MAX, help="width of the hidden layers"),
    "lam": ParamRule(float, 0, True, help="iMAML proximal regulariser lambda"),
    "cg_steps": ParamRule(int, 1, maximum=COUNT_MAX, help="iMAML conjugate-gradient steps"),
    "first_order": ParamRule(bool, help="ANIL: drop the second-order term of head adaptation"),
    "warmup": ParamRule(
        int, 0, maximum=COUNT_MAX, help="meta-iterations left out of the timing median"
    ),
    "compile": ParamRule(
        bool, words=("auto",),
        help="torch.compile the meta-gradient: true, false, or auto (when the run repays it; "
        "see notebase.experiments.compiling); falls back to eager if it cannot",
    ),
    "task_chunk": ParamRule(
        int, 0, maximum=COUNT_MAX,
        help="tasks per chunk of a meta-batch, for bounded memory (0 = automatic: chunks only "
        "when the batch's estimated memory exceeds measure.CHUNK_BUDGET_BYTES)",
    ),
    "reduce_groups": ParamRule(
        int, 0, maximum=COUNT_MAX,
        help="fixed groups a meta-batch is cut into, each one batched meta-gradient, added in "
        "task order; runs on up to this many processes then train identically to one "
        "(see notebase.experiments.distributed); 0 = one per 32 tasks, at most 8 (a "
        "meta-batch under 64 is one call), or the run's process count when that is more",
    ),
    "processes": ParamRule(
        int, 0, maximum=COUNT_MAX,
        help="ranks that train this sweep point (0 = every rank the run was started with); "
        "sweeping it, e.g. [1, 2] under --nproc 2, compares world sizes in one run",
    ),
    "threads": ParamRule(
        int, 0, maximum=1024,
        help="torch CPU threads (0 = torch's default; tiny models run fastest on 1)",
    ),
}
"""Every parameter a spec may set, with its check."""

REDUCE_GROUPS = 0
"""Default groups of a meta-batch: `distributed.default_groups` (one per 32 tasks, at most 8),
or the run's process count when that is more (`runner.fix_groups`). Why not one fixed number:
groups cost a tiny model's one-process meta-iteration (4 groups at meta-batch 25: 2.1-2.6x) and
help a larger one (`distributed.TASKS_PER_GROUP`)."""

_RUN_DEFAULTS: dict[str, Any] = {
    "first_order": False,
    "warmup": 2,
    "threads": 1,
    "compile": "auto",
    "task_chunk": 0,
    "reduce_groups": REDUCE_GROUPS,
    "processes": 0,
}
"""How a run trains and is measured, the same for every task."""

DEFAULTS: dict[str, dict[str, Any]] = {
    "sinusoid": {
        "inner_steps": 1,
        "inner_lr": 0.01,
        "meta_lr": 0.001,
        "meta_batch": 25,
        "meta_iterations": 1000,
        "shots": 10,
        "query": 10,
        "eval_tasks": 100,
        "eval_steps": 10,
        "seed": 0,
        "hidden": 40,
        "lam": 5.0,
        "cg_steps": 10,
        **_RUN_DEFAULTS,
    },
    "digits": {
        "inner_steps": 1,
        "inner_lr": 0.4,
        "meta_lr": 0.001,
        "meta_batch": 16,
        "meta_iterations": 500,
        "ways": 5,
        "shots": 1,
        "query": 5,
        "eval_tasks": 100,
        "eval_steps": 10,
        "seed": 0,
        "hidden": 64,
        "lam": 1.0,
        "cg_steps": 5,
        **_RUN_DEFAULTS,
    },
}
"""Defaults per task; ``eval_lr`` defaults to ``inner_lr``."""

# Samples per class in the digits meta-test split is at least this (load_digits: 174+).
DIGITS_MIN_PER_CLASS = 170



def _check_value(path: Path, where: str, key: str, value: Any, task: str) -> None:
    rule = PARAM_RULES[key]
    if not rule.applies_to(task):
        only = ", ".join(rule.tasks or ())
        raise field_error(path, where, f"not used by task '{task}' (only by {only})")
    if isinstance(value, str) and value in rule.words:
        return
    ok_type = (
        isinstance(value, bool)
        if rule.kind is bool
        else isinstance(value, int) and not isinstance(value, bool)
        if rule.kind is int
        else isinstance(value, int | float) and not isinstance(value, bool)
    )
    if not ok_type:
        raise field_error(path, where, f"got {value!r}, expected {rule.allowed()}")
    if rule.kind is bool:
        return
    if not math.isfinite(value):  # inf and nan (TOML has both) are never a parameter
        raise field_error(path, where, f"got {value!r}, expected a finite number ({rule.allowed()})")
    too_small = rule.minimum is not None and (
        value <= rule.minimum if rule.exclusive_minimum else value < rule.minimum
    )
    too_big = rule.maximum is not None and value > rule.maximum
    if too_small or too_big:
        raise field_error(path, where, f"got {value!r}, expected {rule.allowed()}")


def check_params(path: Path, table: str, params: Any, task: str) -> None:
    if not isinstance(params, dict):
        raise field_error(path, table, "must be a table of parameters")
    for key, value in params.items():
        where = f"{table}.{key}"
        if key not in PARAM_RULES:
            allowed = ", ".join(sorted(k for k, r in PARAM_RULES.items() if r.applies_to(task)))
            raise field_error(path, where, f"unknown parameter (allowed: {allowed})")
        values = value if isinstance(value, list) else [value]
        if not values:
            raise field_error(path, where, "an empty list sweeps nothing; give at least one value")
        for item in values:
            _check_value(path, where, key, item, task)
        if isinstance(value, list) and len(set(map(repr, values))) != len(values):
            raise field_error(path, where, f"repeated value in sweep {value!r}")
