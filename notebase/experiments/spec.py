"""Experiment specs: `experiments/*.toml` -> a validated `Spec`.

A spec names a task distribution, the algorithms to compare and their parameters; a list value
in ``[params]`` sweeps that parameter (cartesian product), and ``[quick]`` holds overrides for a
seconds-long smoke run. Every mistake becomes one `SpecError` line naming the file, the key and
what is allowed. This module imports no torch, so listing specs stays fast.

Bounds, so that a spec cannot hang validation or escape its folder:

- A spec's ``name`` is a plain name, not a path (`check_name`): letters (any script), digits,
  ``-``, ``_`` and ``.``, starting with a letter or digit, at most `MAX_NAME_CHARS` characters.
  It names the spec in links, markers and plot files, so ``../x`` or ``/abs/x`` never reach
  the file system. `find_spec` applies the same rule to the names it is asked for.
- Only spec files inside the experiments folder are found (`spec_files`): a ``*.toml`` link
  that resolves elsewhere is refused, and a folder named ``x.toml`` is not a spec.
- Two specs with the same name are an error naming both files, never a silent pick.
- A sweep has at most `sweep.MAX_SWEEP_POINTS` points (the product of its lists' lengths),
  counted without building them; a spec file is at most `MAX_SPEC_BYTES`.
- Numbers are finite, and integers lie in the range their rule gives (`params.PARAM_RULES`).

The parameters' rules and defaults are ``experiments/params.py``; the sweep (resolved
parameters, points, their count and combined checks) is ``experiments/sweep.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notebase.errors import EXPERIMENTS_HINT, SpecError, folder_problem
from notebase.experiments import registry
from notebase.experiments.params import check_params, field_error
from notebase.experiments.sweep import check_points, swept_keys

TOP_LEVEL_KEYS = (
    "name", "title", "description", "task", "algorithms", "params", "quick", "allow_large",
    "claims",
)

MAX_NAME_CHARS = 100
"""Longest spec name: a plot file is ``<name>-<run_id>.png`` and must stay a valid file name."""
MAX_SPEC_BYTES = 1 << 20
"""Largest spec file read (1 MiB)."""



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
    allow_large: bool = False
    """Run even when the memory estimate says it does not fit (``allow_large = true``)."""
    claims: list[dict[str, Any]] = field(default_factory=list)
    """``[[claims]]`` about the results, checked (`notebase.experiments.claims`)."""

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
            "allow_large": self.allow_large,
            "claims": [dict(claim) for claim in self.claims],
        }




def _name_char_ok(char: str) -> bool:
    return char.isalnum() or char in "-_." or unicodedata.category(char).startswith("M")


def check_name(name: object) -> str | None:
    """Why `name` cannot name an experiment, or None when it can.

    A name is one plain file-name component: letters of any script, digits, combining marks,
    ``-``, ``_`` and ``.``, starting with a letter or digit, at most `MAX_NAME_CHARS`
    characters. So no ``/``, ``\\``, ``..``, absolute path, space or control character: a
    name from a note (``[[experiments/NAME]]``, frontmatter ``experiments:``) or a results
    marker can never point at another file.
    """
    if not isinstance(name, str) or not name:
        return "an experiment name must not be empty"
    if len(name) > MAX_NAME_CHARS:
        return f"an experiment name has at most {MAX_NAME_CHARS} characters"
    if not name[0].isalnum() or not all(_name_char_ok(char) for char in name):
        return (
            "an experiment name is a plain name, not a path: letters, digits, '-', '_' and '.',"
            " starting with a letter or digit"
        )
    return None


def is_valid_name(name: object) -> bool:
    """True when `name` may name an experiment (`check_name`)."""
    return check_name(name) is None


def load_spec(path: Path) -> Spec:
    """Read and validate one spec file; raises `SpecError` (one line) on any mistake.

    `path` is read as given: callers that take a name from a user or a note go through
    `find_spec`, which only finds files inside the experiments folder.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SPEC_BYTES + 1)
    except FileNotFoundError:
        raise SpecError(f"{path}: no such spec file") from None
    except IsADirectoryError:
        raise SpecError(f"{path}: is a folder, not a spec file") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(f"{path}: larger than {MAX_SPEC_BYTES:,} bytes; not read as a spec")
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: cannot read: not UTF-8 ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None

    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            raise field_error(path, key, f"unknown key (allowed: {', '.join(TOP_LEVEL_KEYS)})")
    name = raw.get("name", path.stem)
    title = raw.get("title", name)
    description = raw.get("description", "")
    for key, value in (("name", name), ("title", title), ("description", description)):
        if not isinstance(value, str):
            raise field_error(path, key, f"got {value!r}, expected a string")
    if not name.strip():
        raise field_error(path, "name", "must not be empty")
    problem = check_name(name)
    if problem is not None:
        source = "" if "name" in raw else " (from the file name: rename the file or set name =)"
        raise field_error(path, "name", f"{name!r}{source}: {problem}")
    allow_large = raw.get("allow_large", False)
    if not isinstance(allow_large, bool):
        raise field_error(path, "allow_large", f"got {allow_large!r}, expected true or false")

    tasks = ", ".join(registry.TASKS)
    task = raw.get("task")
    if task is None:
        raise field_error(path, "task", f"missing (allowed: {tasks})")
    if not isinstance(task, str) or task not in registry.TASKS:
        raise field_error(path, "task", f"unknown task {task!r} (allowed: {tasks})")

    names = ", ".join(registry.ALGORITHMS)
    algorithms = raw.get("algorithms")
    if algorithms is None:
        raise field_error(path, "algorithms", f"missing (allowed: {names})")
    if not isinstance(algorithms, list) or not algorithms:
        raise field_error(path, "algorithms", f"expected a non-empty list of {names}")
    for algorithm in algorithms:
        if not isinstance(algorithm, str) or algorithm not in registry.ALGORITHMS:
            raise field_error(path, "algorithms", f"unknown algorithm {algorithm!r} (allowed: {names})")
    if len(set(algorithms)) != len(algorithms):
        raise field_error(path, "algorithms", "an algorithm is listed twice")

    params = raw.get("params", {})
    quick = raw.get("quick", {})
    check_params(path, "params", params, task)
    check_params(path, "quick", quick, task)

    spec = Spec(
        name=name,
        title=title,
        task=task,
        algorithms=list(algorithms),
        params=dict(params),
        quick=dict(quick),
        path=path,
        description=description,
        allow_large=allow_large,
    )
    check_points(path, spec)
    if "claims" in raw:  # [[claims]], checked in notebase.experiments.claims
        from notebase.experiments.claims import load_claims

        spec.claims = load_claims(path, raw["claims"], spec.algorithms, swept_keys(spec, False))
    return spec


# --------------------------------------------------------------------------- finding specs


def _inside(folder: Path, path: Path) -> bool:
    """True when `path`, symlinks resolved, lies inside `folder` (also resolved)."""
    try:
        Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    except ValueError:
        return False
    return True


def spec_files(experiments_dir: Path, errors: list[str] | None = None) -> list[Path]:
    """The ``*.toml`` files of the folder that may be specs, sorted: regular files (or links
    to regular files) that lie inside the folder. A link to a file elsewhere is left out, its
    reason appended to `errors` when a list is given; a folder named ``x.toml`` is not a spec.
    """
    experiments_dir = Path(experiments_dir)
    if not experiments_dir.is_dir():
        return []
    files = []
    for path in sorted(experiments_dir.glob("*.toml")):
        if not path.is_file():
            continue
        if not _inside(experiments_dir, path):
            if errors is not None:
                errors.append(f"{path}: links outside {experiments_dir}; not used as a spec")
            continue
        files.append(path)
    return files


def _same_name(a: str, b: str) -> bool:
    return unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)


def _duplicate_error(name: str, paths: list[Path]) -> SpecError:
    files = " and ".join(str(p) for p in sorted(paths))
    return SpecError(f"experiment '{name}' is defined twice: {files} (give each its own name =)")


def list_specs(experiments_dir: Path, errors: list[str] | None = None) -> list[Spec]:
    """Every valid spec in the folder, sorted by name.

    An invalid spec never hides the others: it is left out, and its one-line error is
    appended to `errors` when a list is given. Specs that share a name are all left out
    (which one runs would be a guess), with an error naming their files.
    """
    specs: dict[str, list[Spec]] = {}
    for path in spec_files(experiments_dir, errors):
        try:
            spec = load_spec(path)
        except SpecError as exc:
            if errors is not None:
                errors.append(str(exc))
            continue
        specs.setdefault(unicodedata.normalize("NFC", spec.name), []).append(spec)
    unique = []
    for name, group in specs.items():
        if len(group) > 1:
            if errors is not None:
                errors.append(str(_duplicate_error(name, [s.path for s in group])))
            continue
        unique.append(group[0])
    return sorted(unique, key=lambda s: s.name)


def check_experiments_dir(experiments_dir: Path) -> None:
    """`SpecError` (one line, worded as the CLI's) when the experiments folder is missing."""
    problem = folder_problem(experiments_dir, "experiments", EXPERIMENTS_HINT)
    if problem is not None:
        raise SpecError(problem)


def find_spec(experiments_dir: Path, name: str) -> Spec:
    """The spec called `name` (file stem or ``name =``) inside `experiments_dir`.

    `SpecError` (one line) when `name` is not a plain name (`check_name`: no path, so no
    ``../x`` or ``/abs/x``), when the folder is missing, when ``NAME.toml`` is not a file or
    links outside the folder, when two specs answer to the name (both files are named), or
    when none does (the available names are listed).
    """
    experiments_dir = Path(experiments_dir)
    problem = check_name(name)
    if problem is not None:
        raise SpecError(f"{name!r} is not an experiment name: {problem}")
    check_experiments_dir(experiments_dir)
    direct = experiments_dir / f"{name}.toml"
    if direct.exists() and not direct.is_file():
        raise SpecError(f"{direct}: is not a file (a spec is a .toml file)")
    if direct.is_file() and not _inside(experiments_dir, direct):
        raise SpecError(f"{direct}: links outside {experiments_dir}; only specs inside it run")
    matches: list[Spec] = []
    available = []
    for candidate in spec_files(experiments_dir):
        is_direct = candidate.name == direct.name
        try:
            spec = load_spec(candidate)
        except SpecError:
            if is_direct:
                raise  # the file named after the experiment is broken: say how
            available.append(candidate.stem)
            continue
        if is_direct or _same_name(spec.name, name):
            matches.append(spec)
        available.append(spec.name)
    if len(matches) > 1:
        raise _duplicate_error(name, [s.path for s in matches])
    if matches:
        return matches[0]
    listing = ", ".join(sorted(set(available))) or f"none in {experiments_dir}"
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
    if spec.claims:  # a spec without claims keeps the hash it had before claims existed
        meaning["claims"] = spec.claims
    text = json.dumps(meaning, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
