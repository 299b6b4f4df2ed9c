"""Spec files: validation errors are one line naming file, key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from notebase.errors import SpecError
from notebase.experiments import registry
from notebase.experiments.params import DEFAULTS, PARAM_RULES
from notebase.experiments.spec import (
    find_spec,
    list_specs,
    load_spec,
    spec_hash,
)
from notebase.experiments.sweep import sweep_points

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "experiments"

GOOD = """\
name = "비용"
title = "메타러닝 비용 실험"
task = "sinusoid"
algorithms = ["maml", "fomaml"]
[params]
inner_steps = [1, 5]
inner_lr = 0.01
meta_batch = [4, 8]
meta_iterations = 100
[quick]
meta_iterations = 3
inner_steps = 1
"""


def write(tmp_path: Path, text: str, name: str = "spec.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_spec_loads_with_korean_text(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.name == "비용"
    assert spec.title == "메타러닝 비용 실험"
    assert spec.algorithms == ["maml", "fomaml"]
    assert spec.quick == {"meta_iterations": 3, "inner_steps": 1}


def test_name_defaults_to_file_stem(tmp_path):
    spec = load_spec(write(tmp_path, 'task = "sinusoid"\nalgorithms = ["maml"]\n', "내-실험.toml"))
    assert spec.name == "내-실험"
    assert spec.title == "내-실험"


def test_sweep_points_are_the_cartesian_product_with_quick_overrides(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    full = sweep_points(spec, quick=False)
    assert [(p["inner_steps"], p["meta_batch"]) for p in full] == [(1, 4), (1, 8), (5, 4), (5, 8)]
    assert all(p["meta_iterations"] == 100 for p in full)
    quick = sweep_points(spec, quick=True)
    assert [(p["inner_steps"], p["meta_batch"]) for p in quick] == [(1, 4), (1, 8)]
    assert all(p["meta_iterations"] == 3 for p in quick)
    # Defaults fill what the spec leaves out; eval_lr follows inner_lr.
    assert full[0]["hidden"] == 40 and full[0]["eval_lr"] == 0.01


def test_spec_hash_follows_meaning_not_comments(tmp_path):
    first = spec_hash(load_spec(write(tmp_path, GOOD, "a.toml")))
    commented = spec_hash(load_spec(write(tmp_path, "# a comment\n" + GOOD, "b.toml")))
    changed = spec_hash(
        load_spec(write(tmp_path, GOOD.replace("inner_lr = 0.01", "inner_lr = 0.02"), "c.toml"))
    )
    assert first == commented
    assert first != changed
    assert len(first) == 12 and int(first, 16) >= 0


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ("colour = 1\n" + GOOD, "colour", "allowed: name, title"),
        (GOOD.replace('"sinusoid"', '"omniglot"'), "task", "allowed: sinusoid, digits"),
        (GOOD.replace('"fomaml"', '"protonet"'), "algorithms", "allowed: maml, fomaml"),
        (GOOD.replace("inner_lr = 0.01", "inner_lr = 'fast'"), "params.inner_lr", "a number > 0"),
        (GOOD.replace("inner_lr = 0.01", "inner_lr = -0.1"), "params.inner_lr", "a number > 0"),
        (GOOD.replace("meta_iterations = 100", "meta_iterations = 0"), "params.meta_iterations",
         "an integer >= 1"),
        (GOOD.replace("meta_iterations = 100", "meta_iterations = 2.5"), "params.meta_iterations",
         "an integer >= 1"),
        (GOOD.replace("meta_iterations = 100", "meta_iterations = true"),
         "params.meta_iterations", "an integer >= 1"),
        (GOOD.replace("inner_steps = [1, 5]", "inner_steps = []"), "params.inner_steps",
         "at least one value"),
        (GOOD.replace("inner_lr = 0.01", "inner_rate = 0.01"), "params.inner_rate",
         "unknown parameter (allowed: cg_steps"),
        (GOOD + "ways = 5\n", "quick.ways", "not used by task 'sinusoid'"),
        (GOOD.replace("meta_iterations = 3", "meta_iterations = 1\nwarmup = 2"), "quick.warmup",
         "smaller than meta_iterations"),
        (GOOD.replace('algorithms = ["maml", "fomaml"]', "algorithms = []"), "algorithms",
         "non-empty list"),
        (GOOD.replace('task = "sinusoid"\n', ""), "task", "missing"),
        (GOOD + "first_order = true\n", "quick.first_order", "only used by anil"),
    ],
)
def test_invalid_specs_give_one_line_naming_file_key_and_allowed(tmp_path, text, key, allowed):
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {key}:")
    assert allowed in message


def test_impossible_classification_values(tmp_path):
    base = 'task = "digits"\nalgorithms = ["anil"]\n[params]\n'
    with pytest.raises(SpecError, match=r"params.ways: got 7, expected an integer >= 2 and <= 5"):
        load_spec(write(tmp_path, base + "ways = 7\n"))
    with pytest.raises(SpecError, match=r"params.shots: shots \+ query = 300"):
        load_spec(write(tmp_path, base + "shots = 200\nquery = 100\n"))


def test_broken_toml_and_missing_file(tmp_path):
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(write(tmp_path, "task = \n"))
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec(tmp_path / "absent.toml")


def test_find_spec_names_the_available_ones(tmp_path):
    write(tmp_path, GOOD, "cost.toml")
    write(tmp_path, 'task = "digits"\nalgorithms = ["anil"]\n', "숫자.toml")
    assert find_spec(tmp_path, "숫자").task == "digits"
    assert find_spec(tmp_path, "비용").path.name == "cost.toml"  # by `name =`, not file name
    with pytest.raises(SpecError, match=r"unknown experiment 'x' \(available: 비용, 숫자\)"):
        find_spec(tmp_path, "x")
    assert [s.name for s in list_specs(tmp_path)] == ["비용", "숫자"]


def test_shipped_specs_are_valid_and_cover_every_algorithm():
    specs = {s.name: s for s in list_specs(SHIPPED)}
    assert {"meta-cost", "maml-sinusoid", "digits-fewshot", "imaml-sinusoid", "first-order"} <= set(
        specs
    )
    covered = {a for s in specs.values() for a in s.algorithms}
    assert covered == {"maml", "fomaml", "reptile", "imaml", "anil"}
    assert [p["inner_steps"] for p in sweep_points(specs["meta-cost"], quick=False)] == [1, 3, 6, 10]
    for spec in specs.values():
        assert spec.quick, f"{spec.name} needs a [quick] table"
        assert all(p["meta_iterations"] <= 50 for p in sweep_points(spec, quick=True))


def test_a_broken_spec_does_not_hide_the_others(tmp_path):
    write(tmp_path, GOOD, "good.toml")
    write(tmp_path, 'task = "omniglot"\n', "bad.toml")
    errors = []
    assert [s.name for s in list_specs(tmp_path, errors)] == ["비용"]
    assert len(errors) == 1 and "bad.toml: task: unknown task 'omniglot'" in errors[0]


def test_the_validator_accepts_and_lists_exactly_the_registry_names(tmp_path, monkeypatch):
    # Adding a name to the registry is all it takes: no second list to keep in step.
    monkeypatch.setitem(registry.ALGORITHMS, "protonet", "somewhere:ProtoNet")
    spec = load_spec(write(tmp_path, GOOD.replace('"fomaml"', '"protonet"')))
    assert spec.algorithms == ["maml", "protonet"]
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, GOOD.replace('"fomaml"', '"matching"')))
    assert str(caught.value).endswith(f"(allowed: {', '.join(registry.ALGORITHMS)})")
    assert "protonet" in str(caught.value)

    monkeypatch.setitem(registry.TASKS, "omniglot", "somewhere:Omniglot")
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, GOOD.replace('"sinusoid"', '"celeba"')))
    assert str(caught.value).endswith("(allowed: sinusoid, digits, omniglot)")


def test_every_registered_name_resolves_to_its_kind_and_has_defaults():
    from notebase.experiments.algorithms.base import MetaAlgorithm
    from notebase.experiments.tasks import TaskDistribution

    for name in registry.ALGORITHMS:
        assert issubclass(registry.algorithm_class(name), MetaAlgorithm), name
    for name in registry.TASKS:
        assert issubclass(registry.task_class(name), TaskDistribution), name
    assert set(DEFAULTS) == set(registry.TASKS)
    for key, rule in PARAM_RULES.items():
        assert rule.tasks is None or set(rule.tasks) <= set(registry.TASKS), key


# --------------------------------------------------------------------------- issue 11 hardening


@pytest.mark.parametrize(
    "name",
    ["../../outside/x", "/tmp/abs/x", "a/b", "a\\b", "..", ".hidden", "-flag", "with space",
     "tab\there", "esc\x1b]0;x\x07", "x" * 101, ""],
)
def test_a_spec_name_is_a_plain_name_not_a_path(tmp_path, name):
    # issue 11 defect 5: the plot file was built from the name, so a path escaped the vault.
    path = write(tmp_path, f"name = {name!r}\n" + GOOD.split("\n", 1)[1])
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(f"{path}: name:") and "\n" not in str(caught.value)


@pytest.mark.parametrize("name", ["meta-cost", "비용", "내-실험_2.v1", "ｆｕｌｌ", "e\u0301t\u00e9"])
def test_letters_of_any_script_digits_dash_underscore_dot_are_a_name(tmp_path, name):
    spec = load_spec(write(tmp_path, f"name = {name!r}\n" + GOOD.split("\n", 1)[1]))
    assert spec.name == name


def test_a_file_name_that_is_no_name_says_so(tmp_path):
    path = write(tmp_path, 'task = "sinusoid"\nalgorithms = ["maml"]\n', "my spec.toml")
    with pytest.raises(SpecError, match=r"name: 'my spec' \(from the file name: rename"):
        load_spec(path)


@pytest.mark.parametrize(
    "name", ["../x", "/abs/x", "../notes/evil", "sub/x", "..", "", "x/../../y"]
)
def test_find_spec_never_looks_outside_the_folder(tmp_path, name):
    # issue 11 defect 6: `--experiment ../x`, absolute paths, `[[experiments/../..]]`.
    (tmp_path / "experiments").mkdir()
    write(tmp_path / "experiments", GOOD, "cost.toml")
    write(tmp_path, GOOD.replace('name = "비용"', 'name = "x"'), "x.toml")  # one level up
    (tmp_path / "experiments" / "sub").mkdir()
    write(tmp_path / "experiments" / "sub", GOOD.replace('name = "비용"', 'name = "x"'), "x.toml")
    with pytest.raises(SpecError, match="is not an experiment name"):
        find_spec(tmp_path / "experiments", name)


def test_a_spec_link_to_a_file_outside_is_not_a_spec(tmp_path):
    folder = tmp_path / "experiments"
    folder.mkdir()
    outside = write(tmp_path, GOOD.replace('name = "비용"', 'name = "밖"'), "outside.toml")
    (folder / "밖.toml").symlink_to(outside)
    write(folder, GOOD, "cost.toml")
    inside = write(folder, GOOD.replace('name = "비용"', 'name = "안"'), "real.toml")
    (folder / "alias.toml").symlink_to(inside)  # a link that stays inside is fine...
    with pytest.raises(SpecError, match="links outside"):
        find_spec(folder, "밖")
    errors: list[str] = []
    names = [s.name for s in list_specs(folder, errors)]
    assert "밖" not in names
    assert any("밖.toml: links outside" in e for e in errors)
    # ...but it is the same spec twice, which is the duplicate error.
    assert any("'안' is defined twice" in e for e in errors)


def test_a_folder_named_like_a_spec_is_not_a_spec(tmp_path):
    # issue 11 defect 23: "unknown experiment 'dir' (available: ... dir ...)".
    write(tmp_path, GOOD, "cost.toml")
    (tmp_path / "dir.toml").mkdir()
    with pytest.raises(SpecError) as caught:
        find_spec(tmp_path, "dir")
    assert str(caught.value) == f"{tmp_path / 'dir.toml'}: is not a file (a spec is a .toml file)"
    with pytest.raises(SpecError) as caught:
        find_spec(tmp_path, "nope")
    assert str(caught.value) == "unknown experiment 'nope' (available: 비용)"
    errors: list[str] = []
    assert [s.name for s in list_specs(tmp_path, errors)] == ["비용"] and errors == []


def test_two_specs_with_one_name_are_an_error_naming_both_files(tmp_path):
    # issue 11 defect 26: both were listed and one was picked silently.
    first = write(tmp_path, GOOD, "a.toml")
    second = write(tmp_path, GOOD, "b.toml")
    write(tmp_path, GOOD.replace('name = "비용"', 'name = "other"'), "c.toml")
    with pytest.raises(SpecError) as caught:
        find_spec(tmp_path, "비용")
    assert str(caught.value) == (
        f"experiment '비용' is defined twice: {first} and {second} (give each its own name =)"
    )
    errors: list[str] = []
    assert [s.name for s in list_specs(tmp_path, errors)] == ["other"]
    assert errors == [str(caught.value)]
    # A file stem and another file's `name =` that agree are two answers too.
    write(tmp_path, GOOD.replace('name = "비용"', 'name = "c"'), "d.toml")
    with pytest.raises(SpecError, match="'c' is defined twice"):
        find_spec(tmp_path, "c")


def test_find_spec_in_a_missing_folder_says_so(tmp_path):
    with pytest.raises(SpecError) as caught:
        find_spec(tmp_path / "nope", "x")
    assert str(caught.value) == (
        f"experiments folder {tmp_path / 'nope'} does not exist "
        "(use --experiments DIR or $NOTEBASE_EXPERIMENTS)"
    )


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ("inner_lr = inf", "params.inner_lr", "got inf, expected a finite number"),
        ("inner_lr = nan", "params.inner_lr", "got nan, expected a finite number"),
        ("meta_lr = -inf", "params.meta_lr", "got -inf, expected a finite number"),
        ("lam = [1.0, inf]", "params.lam", "got inf, expected a finite number"),
        ("seed = 100000000000000000000", "params.seed",
         "expected an integer >= 0 and <= 9223372036854775807"),
        ("hidden = 3000000000", "params.hidden", "expected an integer >= 1 and <= 2147483647"),
        ("threads = 5000", "params.threads", "expected an integer >= 0 and <= 1024"),
    ],
)
def test_numbers_are_finite_and_integers_in_range(tmp_path, line, key, expected):
    # issue 11 defect 24: inf and 10**20 passed validation and failed at run time.
    path = write(tmp_path, GOOD.replace("inner_lr = 0.01", line))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert str(caught.value).startswith(f"{path}: {key}: ") and expected in str(caught.value)


def test_huge_sweeps_are_counted_not_built(tmp_path):
    # issue 11 defect 16: three 300-value sweeps took 40 s and 5.9 GB, then MemoryError.
    import time

    values = list(range(1, 301))
    text = GOOD.replace("inner_steps = [1, 5]", f"inner_steps = {values}").replace(
        "meta_batch = [4, 8]", f"meta_batch = {values}\nhidden = {values}"
    )
    path = write(tmp_path, text)
    started = time.perf_counter()
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert time.perf_counter() - started < 1.0
    assert str(caught.value) == (
        f"{path}: params: the sweep has 27,000,000 points (300 x 300 x 300); at most 1,000 are "
        "allowed: sweep fewer values, or split it into several specs"
    )


def test_a_sweep_at_the_cap_loads_and_its_size_is_counted(tmp_path):
    from notebase.experiments.sweep import MAX_SWEEP_POINTS, sweep_size

    text = GOOD.replace("inner_steps = [1, 5]", f"inner_steps = {list(range(1, 126))}").replace(
        "meta_batch = [4, 8]", f"meta_batch = {list(range(1, 9))}"
    )
    spec = load_spec(write(tmp_path, text))
    assert sweep_size(spec, quick=False) == 125 * 8 == MAX_SWEEP_POINTS
    assert len(sweep_points(spec, quick=False)) == MAX_SWEEP_POINTS
    assert sweep_size(spec, quick=True) == 8  # [quick] pins inner_steps
    spec.params["hidden"] = [8, 16]  # changed in code past load_spec: still refused
    with pytest.raises(SpecError, match="2,000 points"):
        sweep_points(spec, quick=False)


def test_combination_checks_use_the_extremes_of_each_sweep(tmp_path):
    base = 'task = "digits"\nalgorithms = ["anil"]\n[params]\n'
    with pytest.raises(SpecError, match=r"params.shots: shots \+ query = 171"):
        load_spec(write(tmp_path, base + "shots = [1, 100]\nquery = [5, 71]\n"))
    load_spec(write(tmp_path, base + "shots = [1, 100]\nquery = [5, 70]\n"))
    with pytest.raises(SpecError, match=r"warmup \(5\) must be smaller than meta_iterations \(5\)"):
        load_spec(write(tmp_path, base + "warmup = [0, 5]\nmeta_iterations = [5, 100]\n"))


def test_a_spec_file_past_the_size_cap_is_not_read(tmp_path):
    from notebase.experiments.spec import MAX_SPEC_BYTES

    path = write(tmp_path, GOOD + "#" * MAX_SPEC_BYTES + "\n")
    with pytest.raises(SpecError, match="larger than 1,048,576 bytes"):
        load_spec(path)


def test_allow_large_is_a_boolean_spec_key(tmp_path):
    assert load_spec(write(tmp_path, "allow_large = true\n" + GOOD)).allow_large is True
    assert load_spec(write(tmp_path, GOOD)).allow_large is False
    with pytest.raises(SpecError, match="allow_large: got 'yes', expected true or false"):
        load_spec(write(tmp_path, "allow_large = 'yes'\n" + GOOD))
