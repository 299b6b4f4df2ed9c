"""iMAML's eager batched-autograd meta-gradient (`IMAML.meta_gradients`: every task at once on
per-task parameters, CG with per-task scalars) against its torch.func one
(`functional_meta_gradients`: vmap over tasks, the one torch.compile traces).

Float64 shows the two are the same computation (measured relative error ~1e-13 at 10 CG
steps). Float32 shows what a run sees: at the sinusoid defaults (cg_steps 10) float32 CG is
itself only good to ~1e-4 of the float64 answer in either formulation (measured: functional
1.1e-4 and 2.9e-4, batched 1.2e-4 and 2.1e-5 at 1 and 3 inner steps), so the two differ by
about that much; on digits (cg_steps 5) by ~4e-7.
"""

from __future__ import annotations

import pytest
import torch

from notebase.experiments.algorithms import ALGORITHMS
from notebase.experiments.algorithms.imaml import conjugate_gradient, per_task_dot
from notebase.experiments.cg_check import cg_diagnostics
from notebase.experiments.params import DEFAULTS
from notebase.experiments.tasks import TaskBatch, make_task
from notebase.experiments.training import MetaTrainer

FLOAT32_TOLERANCE = {"sinusoid": 1e-3, "digits": 1e-5}
"""Relative max error allowed between the formulations in float32 (see the module doc)."""


def to_dtype(batch: TaskBatch, dtype: torch.dtype) -> TaskBatch:
    """Inputs (and regression targets) in `dtype`; class labels stay integers."""
    return TaskBatch(*(t.to(dtype) if t.is_floating_point() else t for t in batch.tensors()))


def setup(task_name: str, inner_steps: int, dtype: torch.dtype):
    """iMAML at the task's defaults, its initial parameters and one training meta-batch."""
    point = dict(DEFAULTS[task_name], inner_steps=inner_steps)
    task = make_task(task_name, point)
    torch.manual_seed(0)
    model = task.make_model().to(dtype)
    params = {n: p.detach() for n, p in model.named_parameters()}
    batch = to_dtype(task.sample("train", 0, range(point["meta_batch"])), dtype)
    return ALGORITHMS["imaml"](model, task, point), params, batch


def relative_error(got: dict, want: dict) -> float:
    """The largest absolute difference of a parameter's gradient over its largest entry."""
    return max(((got[n] - want[n]).abs().max() / want[n].abs().max()).item() for n in want)


@pytest.mark.parametrize("inner_steps", [1, 3])
@pytest.mark.parametrize("task_name", ["sinusoid", "digits"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_batched_meta_gradient_equals_the_functional_one(task_name, inner_steps, dtype):
    algorithm, params, batch = setup(task_name, inner_steps, dtype)
    grads, loss = algorithm.meta_gradients(params, batch)
    functional, functional_loss = algorithm.functional_meta_gradients(params, batch)
    assert {n: g.shape for n, g in grads.items()} == {n: p.shape for n, p in params.items()}
    tolerance = 1e-10 if dtype == torch.float64 else FLOAT32_TOLERANCE[task_name]
    assert relative_error(grads, functional) <= tolerance
    assert torch.allclose(loss, functional_loss, rtol=1e-6, atol=0)
    assert max(g.abs().max().item() for g in grads.values()) > 1e-4  # not trivially zero


def test_per_task_conjugate_gradient_is_each_tasks_own_solve():
    """Stacked systems solved at once give each system's own CG iterates, including one that
    meets non-positive curvature (zero step there) and one whose right-hand side is zero."""
    torch.manual_seed(0)
    n, steps = 5, 4
    m = torch.randn(3, n, n, dtype=torch.float64)
    a = m @ m.mT + 0.1 * torch.eye(n, dtype=torch.float64)
    a[1] = torch.diag(torch.tensor([2.0, -3.0, 1.0, -0.5, 4.0], dtype=torch.float64))  # indefinite
    b = torch.randn(3, n, 1, dtype=torch.float64)
    b[2] = 0.0

    stacked = conjugate_gradient(lambda v: {"w": a @ v["w"]}, {"w": b}, steps, dot=per_task_dot)
    for task in range(3):
        alone = conjugate_gradient(lambda v, t=task: {"w": a[t] @ v["w"]}, {"w": b[task]}, steps)
        assert torch.allclose(stacked["w"][task], alone["w"], rtol=1e-12, atol=1e-14), task
    assert torch.equal(stacked["w"][2], torch.zeros_like(b[2]))


def float64_trainer(task_name: str, functional: bool) -> MetaTrainer:
    """A `MetaTrainer` at the task's defaults in float64, on the batched or functional path."""
    trainer = MetaTrainer(task_name, "imaml", dict(DEFAULTS[task_name]), torch.device("cpu"))
    trainer.model.double()  # the same Parameter objects (Adam's), now float64
    trainer.params = {name: p.detach() for name, p in trainer.named_parameters}
    sample = trainer.batch
    trainer.batch = lambda *args, **kwargs: to_dtype(sample(*args, **kwargs), torch.float64)
    if functional:
        trainer.meta_gradients = trainer.chunked(trainer.algorithm.functional_meta_gradients)
    return trainer


@pytest.mark.parametrize("task_name", ["sinusoid", "digits"])
def test_training_on_the_batched_path_matches_the_functional_path(task_name):
    """20 meta-iterations (Adam steps included) give the same losses either way. Float64:
    in float32 the sinusoid's runs drift apart by ~1% within 20 steps on either path alone
    (measured: the functional path with its gradients perturbed by 1e-6 relative noise
    drifts as far), Adam's first steps being the signs of near-zero gradient entries."""
    losses = []
    for functional in (False, True):
        trainer = float64_trainer(task_name, functional)
        losses.append(torch.stack([trainer.step(iteration) for iteration in range(20)]))
    batched, functional = losses
    assert batched.dtype == torch.float64
    assert torch.allclose(batched, functional, rtol=1e-9, atol=0)
    assert not torch.allclose(batched[0], batched[-1])  # it trained


def test_float32_digits_training_matches_the_functional_path():
    losses = []
    for functional in (False, True):
        trainer = MetaTrainer("digits", "imaml", dict(DEFAULTS["digits"]), torch.device("cpu"))
        if functional:
            trainer.meta_gradients = trainer.chunked(trainer.algorithm.functional_meta_gradients)
        losses.append(torch.stack([trainer.step(iteration) for iteration in range(20)]))
    assert torch.allclose(losses[0], losses[1], rtol=1e-5, atol=0)


def test_cg_diagnostics_still_replay_the_solve():
    """`cg_check` replays the solve one task at a time through the functional pieces
    (`proximal_steps`, `loss`, `lam`, `cg_steps`). At the defaults' initial parameters the
    sinusoid's systems are indefinite (measured: 46% of CG steps meet curvature <= 0,
    relative residual 17), the digits' are not (0%, residual 0.015)."""
    sinusoid = cg_diagnostics(*setup("sinusoid", 1, torch.float64))
    assert 0.2 < sinusoid["cg_nonpositive_fraction"] < 1.0
    assert sinusoid["cg_relative_residual"] > 1.0
    digits = cg_diagnostics(*setup("digits", 1, torch.float64))
    assert digits["cg_nonpositive_fraction"] == 0.0
    assert 0.0 < digits["cg_relative_residual"] < 0.1
