"""Experiment specs: `experiments/*.toml` -> a validated `Spec`.

A spec names a task distribution, the algorithms to compare and their parameters; a list value
in ``[params]`` sweeps that parameter (cartesian product), and ``[quick]`` holds overrides for a
seconds-long smoke run. Every mistake becomes one `SpecError` line naming the file, the key and
what is allowed. This module imports no torch, so listing specs stays fast.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notebase.errors import SpecError
from notebase.experiments import registry

TOP_LEVEL_KEYS = ("name", "title", "description", "task", "algorithms", "params", "quick")


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

    def applies_to(self, task: str) -> bool:
        return self.tasks is None or task in self.tasks

    def allowed(self) -> str:
        kind = {int: "an integer", float: "a number", bool: "true or false"}[self.kind]
        if self.minimum is None:
            return kind
        op = ">" if self.exclusive_minimum else ">="
        text = f"{kind} {op} {self.minimum:g}"
        if self.maximum is not None:
            text += f" and <= {self.maximum:g}"
        return text


PARAM_RULES: dict[str, ParamRule] = {
    "inner_steps": ParamRule(int, 1, help="gradient steps of task adaptation in meta-training"),
    "inner_lr": ParamRule(float, 0, True, help="step size of task adaptation"),
    "meta_lr": ParamRule(float, 0, True, help="Adam step size of the meta-update"),
    "meta_batch": ParamRule(int, 1, help="tasks per meta-iteration"),
    "meta_iterations": ParamRule(int, 1, help="meta-updates per sweep point"),
    "shots": ParamRule(int, 1, help="support examples per task (per class for classification)"),
    "query": ParamRule(int, 1, help="query examples per task (per class for classification)"),
    "ways": ParamRule(int, 2, maximum=5, tasks=("digits",), help="classes per task"),
    "eval_tasks": ParamRule(int, 1, help="held-out tasks for pre/post-adaptation loss"),
    "eval_steps": ParamRule(int, 0, help="adaptation steps on held-out tasks"),
    "eval_lr": ParamRule(float, 0, True, help="adaptation step size on held-out tasks"),
    "seed": ParamRule(int, 0, help="seed of model init and task sampling"),
    "hidden": ParamRule(int, 1, help="width of the hidden layers"),
    "lam": ParamRule(float, 0, True, help="iMAML proximal regulariser lambda"),
    "cg_steps": ParamRule(int, 1, help="iMAML conjugate-gradient steps"),
    "first_order": ParamRule(bool, help="ANIL: drop the second-order term of head adaptation"),
    "warmup": ParamRule(int, 0, help="meta-iterations left out of the timing median"),
    "compile": ParamRule(
        bool, help="torch.compile the meta-gradient (falls back to eager if it cannot)"
    ),
    "threads": ParamRule(
        int, 0, help="torch CPU threads (0 = torch's default; tiny models run fastest on 1)"
    ),
}
"""Every parameter a spec may set, with its check."""

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
        "first_order": False,
        "warmup": 2,
        "threads": 1,
        "compile": False,
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
        "first_order": False,
        "warmup": 2,
        "threads": 1,
        "compile": False,
    },
}
"""Defaults per task; ``eval_lr`` defaults to ``inner_lr``."""

# Samples per class in the digits meta-test split is at least this (load_digits: 174+).
DIGITS_MIN_PER_CLASS = 170


@dataclass
class Spec:
    """One experiment as written in its TOML file, validated."""

    name: str
    """Experiment name (defaults to the file name without `.toml`)."""
    title: str
    """One line saying what the experiment asks."""
    task: str
    """Task distribution, one of `registry.TASKS`."""
    algorithms: list[str]
    """Algorithms to compare, each one of `registry.ALGORITHMS`."""
    params: dict[str, Any]
    """Parameters as written; a list value sweeps that parameter."""
    quick: dict[str, Any] = field(default_factory=dict)
    """Overrides applied by ``--quick``."""
    path: Path = Path()
    """The spec file."""
    description: str = ""
    """Optional longer text."""

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain data (what a run record stores)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "task": self.task,
            "algorithms": list(self.algorithms),
            "params": dict(self.params),
            "quick": dict(self.quick),
            "path": str(self.path),
        }


def _fail(path: Path, key: str, problem: str) -> SpecError:
    return SpecError(f"{path}: {key}: {problem}")


def _check_value(path: Path, where: str, key: str, value: Any, task: str) -> None:
    rule = PARAM_RULES[key]
    if not rule.applies_to(task):
        only = ", ".join(rule.tasks or ())
        raise _fail(path, where, f"not used by task '{task}' (only by {only})")
    ok_type = (
        isinstance(value, bool)
        if rule.kind is bool
        else isinstance(value, int) and not isinstance(value, bool)
        if rule.kind is int
        else isinstance(value, int | float) and not isinstance(value, bool)
    )
    if not ok_type:
        raise _fail(path, where, f"got {value!r}, expected {rule.allowed()}")
    if rule.kind is bool:
        return
    too_small = rule.minimum is not None and (
        value <= rule.minimum if rule.exclusive_minimum else value < rule.minimum
    )
    too_big = rule.maximum is not None and value > rule.maximum
    if too_small or too_big or value != value:  # NaN is never allowed
        raise _fail(path, where, f"got {value!r}, expected {rule.allowed()}")


def _check_params(path: Path, table: str, params: Any, task: str) -> None:
    if not isinstance(params, dict):
        raise _fail(path, table, "must be a table of parameters")
    for key, value in params.items():
        where = f"{table}.{key}"
        if key not in PARAM_RULES:
            allowed = ", ".join(sorted(k for k, r in PARAM_RULES.items() if r.applies_to(task)))
            raise _fail(path, where, f"unknown parameter (allowed: {allowed})")
        values = value if isinstance(value, list) else [value]
        if not values:
            raise _fail(path, where, "an empty list sweeps nothing; give at least one value")
        if isinstance(value, list) and len(set(map(repr, values))) != len(values):
            raise _fail(path, where, f"repeated value in sweep {value!r}")
        for item in values:
            _check_value(path, where, key, item, task)


def _check_points(path: Path, spec: Spec) -> None:
    """Checks that need several parameters together (impossible combinations)."""
    for table in ("params", "quick"):
        if "first_order" in getattr(spec, table) and "anil" not in spec.algorithms:
            raise _fail(path, f"{table}.first_order", "only used by anil, which is not listed")
    for quick in (False, True):
        for point in sweep_points(spec, quick):
            table = "quick" if quick else "params"
            if spec.task == "digits":
                per_class = point["shots"] + point["query"]
                if per_class > DIGITS_MIN_PER_CLASS:
                    raise _fail(
                        path,
                        f"{table}.shots",
                        f"shots + query = {per_class} examples per class, "
                        f"but digits has only {DIGITS_MIN_PER_CLASS} per class",
                    )
            if point["warmup"] >= point["meta_iterations"]:
                raise _fail(
                    path,
                    f"{table}.warmup",
                    f"warmup ({point['warmup']}) must be smaller than "
                    f"meta_iterations ({point['meta_iterations']})",
                )


def load_spec(path: Path) -> Spec:
    """Read and validate one spec file; raises `SpecError` (one line) on any mistake."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{path}: no such spec file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None

    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            raise _fail(path, key, f"unknown key (allowed: {', '.join(TOP_LEVEL_KEYS)})")
    name = raw.get("name", path.stem)
    title = raw.get("title", name)
    description = raw.get("description", "")
    for key, value in (("name", name), ("title", title), ("description", description)):
        if not isinstance(value, str):
            raise _fail(path, key, f"got {value!r}, expected a string")
    if not name.strip():
        raise _fail(path, "name", "must not be empty")

    tasks = ", ".join(registry.TASKS)
    task = raw.get("task")
    if task is None:
        raise _fail(path, "task", f"missing (allowed: {tasks})")
    if not isinstance(task, str) or task not in registry.TASKS:
        raise _fail(path, "task", f"unknown task {task!r} (allowed: {tasks})")

    names = ", ".join(registry.ALGORITHMS)
    algorithms = raw.get("algorithms")
    if algorithms is None:
        raise _fail(path, "algorithms", f"missing (allowed: {names})")
    if not isinstance(algorithms, list) or not algorithms:
        raise _fail(path, "algorithms", f"expected a non-empty list of {names}")
    for algorithm in algorithms:
        if not isinstance(algorithm, str) or algorithm not in registry.ALGORITHMS:
            raise _fail(path, "algorithms", f"unknown algorithm {algorithm!r} (allowed: {names})")
    if len(set(algorithms)) != len(algorithms):
        raise _fail(path, "algorithms", "an algorithm is listed twice")

    params = raw.get("params", {})
    quick = raw.get("quick", {})
    _check_params(path, "params", params, task)
    _check_params(path, "quick", quick, task)

    spec = Spec(
        name=name,
        title=title,
        task=task,
        algorithms=list(algorithms),
        params=dict(params),
        quick=dict(quick),
        path=path,
        description=description,
    )
    _check_points(path, spec)
    return spec


def list_specs(experiments_dir: Path, errors: list[str] | None = None) -> list[Spec]:
    """Every valid spec in the folder, sorted by name.

    An invalid spec never hides the others: it is left out, and its one-line error is
    appended to `errors` when a list is given.
    """
    experiments_dir = Path(experiments_dir)
    if not experiments_dir.is_dir():
        return []
    specs = []
    for path in sorted(experiments_dir.glob("*.toml")):
        try:
            specs.append(load_spec(path))
        except SpecError as exc:
            if errors is not None:
                errors.append(str(exc))
    return sorted(specs, key=lambda s: s.name)


def find_spec(experiments_dir: Path, name: str) -> Spec:
    """The spec called `name` (file stem or ``name =``); `SpecError` listing the others if none."""
    experiments_dir = Path(experiments_dir)
    direct = experiments_dir / f"{name}.toml"
    if direct.is_file():
        return load_spec(direct)
    available = []
    for candidate in sorted(experiments_dir.glob("*.toml")) if experiments_dir.is_dir() else []:
        try:
            spec = load_spec(candidate)
        except SpecError:
            available.append(candidate.stem)
            continue
        if spec.name == name:
            return spec
        available.append(spec.name)
    listing = ", ".join(sorted(available)) or f"none in {experiments_dir}"
    raise SpecError(f"unknown experiment '{name}' (available: {listing})")


def spec_hash(spec: Spec) -> str:
    """12 hex digits identifying what the spec means (not its comments or key order)."""
    meaning = {
        "name": spec.name,
        "task": spec.task,
        "algorithms": spec.algorithms,
        "params": spec.params,
        "quick": spec.quick,
    }
    text = json.dumps(meaning, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def resolved_params(spec: Spec, quick: bool) -> dict[str, Any]:
    """Task defaults, then ``[params]``, then ``[quick]`` when asked (lists still unexpanded)."""
    merged = dict(DEFAULTS[spec.task])
    merged.update(spec.params)
    if quick:
        merged.update(spec.quick)
    return merged


def sweep_points(spec: Spec, quick: bool) -> list[dict[str, Any]]:
    """One dict of concrete parameters per combination of the list-valued parameters."""
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
