"""Task sampling: counter-based per-task streams, drawn a whole meta-batch at a time."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from notebase.experiments.params import DEFAULTS
from notebase.experiments.tasks import _digits_by_class, make_task, task_keys, task_uniforms


def test_uniforms_are_uniform_and_independent_across_tasks_and_counters():
    keys = task_keys(0, "train", 0, range(2000))
    u = task_uniforms(keys, 50).astype(np.float64)
    assert u.min() >= 0.0 and u.max() < 1.0
    counts, _ = np.histogram(u, bins=10, range=(0, 1))
    expected = u.size / 10
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 30  # 9 degrees of freedom: p < 1e-3 above 27.9
    # Neighbouring counters and neighbouring tasks are uncorrelated.
    assert abs(np.corrcoef(u[:, :-1].ravel(), u[:, 1:].ravel())[0, 1]) < 0.02
    assert abs(np.corrcoef(u[:-1].ravel(), u[1:].ravel())[0, 1]) < 0.02


def test_a_task_depends_on_its_own_coordinates_only():
    keys = task_keys(3, "eval", 9, [4, 17, 2])
    assert list(keys) == [task_keys(3, "eval", 9, [i])[0] for i in (4, 17, 2)]
    assert len({int(k) for k in task_keys(0, "train", 0, range(10_000))}) == 10_000
    assert task_keys(0, "train", 0, [5])[0] != task_keys(1, "train", 0, [5])[0]


def test_sinusoid_tasks_follow_finn_et_al():
    point = dict(DEFAULTS["sinusoid"])
    batch = make_task("sinusoid", point).sample("train", 0, range(500))
    x = torch.cat([batch.support_x, batch.query_x], dim=1)
    y = torch.cat([batch.support_y, batch.query_y], dim=1)
    assert batch.support_x.shape == (500, point["shots"], 1)
    assert batch.query_x.shape == (500, point["query"], 1)
    assert x.min() >= -5 and x.max() < 5
    # Each task is y = A sin(x - phase): recover A and phase by least squares on sin and cos.
    design = torch.cat([torch.sin(x), -torch.cos(x)], dim=2).double()
    coef = torch.linalg.lstsq(design, y.double()).solution.squeeze(-1)
    amplitude = coef.norm(dim=1)
    phase = torch.atan2(coef[:, 1], coef[:, 0])
    assert amplitude.min() >= 0.1 - 1e-4 and amplitude.max() <= 5 + 1e-4
    assert phase.min() >= -1e-4 and phase.max() <= math.pi + 1e-4
    assert 2.2 < amplitude.mean() < 2.9 and 1.3 < phase.mean() < 1.85


@pytest.mark.parametrize("split", ["train", "eval"])
def test_digits_tasks_are_n_way_k_shot_on_the_split_classes(split):
    point = dict(DEFAULTS["digits"], ways=3, shots=2, query=4)
    task = make_task("digits", point)
    batch = task.sample(split, 0, range(40))
    images, counts = _digits_by_class()
    by_image = {}
    for c in range(10):
        for row in images[c, : counts[c]]:
            by_image.setdefault(row.tobytes(), set()).add(c)
    seen_classes = set()
    for t in range(40):
        assert batch.support_y[t].tolist() == [0, 0, 1, 1, 2, 2]
        assert batch.query_y[t].tolist() == [0] * 4 + [1] * 4 + [2] * 4
        xs = torch.cat([batch.support_x[t], batch.query_x[t]]).numpy()
        ys = torch.cat([batch.support_y[t], batch.query_y[t]]).tolist()
        classes_of_label = {}
        for row, label in zip(xs, ys, strict=True):
            (cls,) = by_image[row.tobytes()] if len(by_image[row.tobytes()]) == 1 else (None,)
            if cls is not None:
                classes_of_label.setdefault(label, set()).add(cls)
        assert all(len(c) == 1 for c in classes_of_label.values())  # one class per label
        used = set().union(*classes_of_label.values())
        assert len(used) == 3 and used <= set(task.CLASSES[split])
        seen_classes |= used
        assert len({row.tobytes() for row in xs}) >= len(xs) - 1  # images drawn without repeats
    assert seen_classes == set(task.CLASSES[split])
