"""Spec files: validation errors are one line naming file, key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from notebase.errors import SpecError
from notebase.experiments import registry
from notebase.experiments.spec import (
    DEFAULTS,
    PARAM_RULES,
    find_spec,
    list_specs,
    load_spec,
    spec_hash,
    sweep_points,
)

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
    assert [p["inner_steps"] for p in sweep_points(specs["meta-cost"], quick=False)] == [1, 5, 10]
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
