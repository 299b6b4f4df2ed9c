"""The algorithms' meta-gradients against hand-written autograd references (float64)."""

from __future__ import annotations

import pytest
import torch

from notebase.experiments.algorithms import ALGORITHMS
from notebase.experiments.algorithms.imaml import implicit_gradient
from notebase.experiments.params import DEFAULTS
from notebase.experiments.tasks import make_task


def setup(algorithm: str, task_name: str = "sinusoid", **overrides):
    point = dict(DEFAULTS[task_name], hidden=5, meta_batch=3, shots=4, query=4, inner_steps=2)
    point["inner_lr"] = 0.05 if task_name == "sinusoid" else 0.4
    point.update(overrides)
    task = make_task(task_name, point)
    torch.manual_seed(0)
    model = task.make_model().double()
    params = {n: p.detach() for n, p in model.named_parameters()}
    batch = task.sample("train", 0, range(point["meta_batch"]))
    if task_name == "sinusoid":
        batch = type(batch)(*(t.double() for t in batch.tensors()))
    else:
        batch = type(batch)(batch.support_x.double(), batch.support_y,
                            batch.query_x.double(), batch.query_y)
    return ALGORITHMS[algorithm](model, task, point), model, params, batch, point


def reference_gradients(model, params, batch, point, loss_fn, *, second_order, adapt=None):
    """A plain loop over tasks: inner SGD by autograd.grad, losses summed, one backward."""
    leaves = {n: p.clone().requires_grad_(True) for n, p in params.items()}
    adapt = adapt or set(leaves)
    total = 0.0
    for sx, sy, qx, qy in zip(*batch.tensors(), strict=True):
        fast = dict(leaves)
        for _ in range(point["inner_steps"]):
            loss = loss_fn(torch.func.functional_call(model, fast, (sx,)), sy)
            names = [n for n in fast if n in adapt]
            grads = torch.autograd.grad(loss, [fast[n] for n in names], create_graph=second_order)
            fast = dict(fast)
            for n, g in zip(names, grads, strict=True):
                fast[n] = fast[n] - point["inner_lr"] * g
        total = total + loss_fn(torch.func.functional_call(model, fast, (qx,)), qy)
    meta_loss = total / batch.size
    grads = torch.autograd.grad(meta_loss, list(leaves.values()), allow_unused=True)
    return {n: (g if g is not None else torch.zeros_like(leaves[n]))
            for n, g in zip(leaves, grads, strict=True)}, meta_loss.detach()


def assert_close(got, want, atol=1e-10):
    for name in want:
        assert torch.allclose(got[name], want[name], atol=atol, rtol=0), name


@pytest.mark.parametrize("task_name", ["sinusoid", "digits"])
def test_maml_meta_gradient_equals_plain_second_order_loop(task_name):
    algorithm, model, params, batch, point = setup("maml", task_name)
    grads, loss = algorithm.meta_gradients(params, batch)
    want, want_loss = reference_gradients(
        model, params, batch, point, algorithm.loss_fn, second_order=True
    )
    assert_close(grads, want)
    assert torch.allclose(loss, want_loss)


@pytest.mark.parametrize("task_name", ["sinusoid", "digits"])
def test_maml_eager_and_functional_formulations_agree(task_name):
    """The eager autograd formulation and the torch.func one (used under torch.compile)."""
    algorithm, model, params, batch, point = setup("maml", task_name, inner_steps=3)
    grads, loss = algorithm.meta_gradients(params, batch)
    functional, functional_loss = algorithm.functional_meta_gradients(params, batch)
    assert_close(grads, functional)
    assert torch.allclose(loss, functional_loss)


def test_maml_meta_gradient_matches_finite_differences():
    algorithm, model, params, batch, point = setup("maml")
    grads, _ = algorithm.meta_gradients(params, batch)
    generator = torch.Generator().manual_seed(1)
    direction = {n: torch.randn(p.shape, generator=generator, dtype=p.dtype)
                 for n, p in params.items()}
    eps = 1e-6

    def meta_loss(shift):
        moved = {n: p + shift * direction[n] for n, p in params.items()}
        return algorithm.meta_gradients(moved, batch)[1].item()

    numeric = (meta_loss(eps) - meta_loss(-eps)) / (2 * eps)
    analytic = sum((grads[n] * direction[n]).sum().item() for n in params)
    assert abs(numeric - analytic) < 1e-6 * max(1.0, abs(analytic))


def test_fomaml_is_maml_without_the_second_order_term():
    algorithm, model, params, batch, point = setup("fomaml")
    grads, _ = algorithm.meta_gradients(params, batch)
    first_order, _ = reference_gradients(
        model, params, batch, point, algorithm.loss_fn, second_order=False
    )
    second_order, _ = reference_gradients(
        model, params, batch, point, algorithm.loss_fn, second_order=True
    )
    assert_close(grads, first_order)
    # The dropped term is not negligible here, so the comparison above can fail.
    gap = max((first_order[n] - second_order[n]).abs().max().item() for n in params)
    assert gap > 1e-4


def test_anil_adapts_only_the_head():
    algorithm, model, params, batch, point = setup("anil", "digits")
    grads, _ = algorithm.meta_gradients(params, batch)
    head = {n for n in params if n.startswith("head.")}
    want, _ = reference_gradients(
        model, params, batch, point, algorithm.loss_fn, second_order=True, adapt=head
    )
    assert_close(grads, want)
    adapted = algorithm.adapt(params, batch.support_x[0], batch.support_y[0], 3, 0.4)
    for name in params:
        assert torch.equal(adapted[name], params[name]) == (name not in head)


def test_reptile_moves_toward_the_adapted_parameters():
    algorithm, model, params, batch, point = setup("reptile")
    grads, _ = algorithm.meta_gradients(params, batch)
    adapted = [
        algorithm.adapt(params, sx, sy, point["inner_steps"], point["inner_lr"])
        for sx, sy in zip(batch.support_x, batch.support_y, strict=True)
    ]
    want = {n: params[n] - torch.stack([a[n] for a in adapted]).mean(0) for n in params}
    assert_close(grads, want)


def test_imaml_implicit_gradient_matches_exact_on_a_quadratic():
    """Inner problem: min_phi 1/2 phi'A phi - b'phi + lam/2 |phi - theta|^2, solved exactly."""
    torch.manual_seed(0)
    n, lam = 6, 0.7
    m = torch.randn(n, n, dtype=torch.float64)
    a = m @ m.T + 0.1 * torch.eye(n, dtype=torch.float64)
    b = torch.randn(n, dtype=torch.float64)
    target = torch.randn(n, dtype=torch.float64)
    theta = torch.randn(n, dtype=torch.float64, requires_grad=True)

    def support_loss(p):
        return 0.5 * p["w"] @ a @ p["w"] - b @ p["w"]

    def query_loss(phi):
        return ((phi - target) ** 2).sum()

    # Exact: phi*(theta) = (A + lam I)^-1 (b + lam theta), differentiated by autograd.
    phi_star = torch.linalg.solve(a + lam * torch.eye(n, dtype=torch.float64), b + lam * theta)
    (exact,) = torch.autograd.grad(query_loss(phi_star), theta)

    phi = {"w": phi_star.detach()}
    query_grad = {"w": 2 * (phi["w"] - target)}
    implicit = implicit_gradient(support_loss, phi, query_grad, lam, cg_steps=n)
    assert torch.allclose(implicit["w"], exact, atol=1e-8)
    # Fewer CG steps than dimensions only approximates it.
    rough = implicit_gradient(support_loss, phi, query_grad, lam, cg_steps=1)
    assert not torch.allclose(rough["w"], exact, atol=1e-4)


def test_imaml_meta_gradient_matches_a_converged_unrolled_inner_loop():
    """A strongly convex proximal problem (large lam): the whole iMAML meta-gradient equals
    differentiating through an inner loop run to convergence."""
    steps, lr, lam = 150, 0.02, 20.0
    algorithm, model, params, batch, point = setup(
        "imaml", inner_steps=steps, inner_lr=lr, lam=lam, cg_steps=40, meta_batch=1
    )
    grads, _ = algorithm.meta_gradients(params, batch)
    # Exact reference: differentiate through a long unrolled proximal descent (converged).
    sx, sy, qx, qy = (t[0] for t in batch.tensors())
    leaves = {n: p.clone().requires_grad_(True) for n, p in params.items()}
    phi = dict(leaves)
    for _ in range(steps):
        loss = algorithm.loss(phi, sx, sy)
        g = torch.autograd.grad(loss, list(phi.values()), create_graph=True)
        phi = {n: phi[n] - lr * (gi + lam * (phi[n] - leaves[n]))
               for n, gi in zip(phi, g, strict=True)}
    exact = torch.autograd.grad(algorithm.loss(phi, qx, qy), list(leaves.values()))
    for name, want in zip(leaves, exact, strict=True):
        assert torch.allclose(grads[name], want, atol=1e-7), name


@pytest.mark.parametrize("task_name", ["sinusoid", "digits"])
def test_functional_forward_equals_functional_call_on_the_module(task_name):
    task = make_task(task_name, dict(DEFAULTS[task_name]))
    model = task.make_model()
    params = {n: torch.randn_like(p) for n, p in model.named_parameters()}
    x = task.sample("train", 0, range(1)).support_x[0]
    want = torch.func.functional_call(model, params, (x,))
    # Equal up to rounding: matmul + add, not addmm (the order of float sums may differ).
    assert torch.allclose(model.functional_forward(params, x), want, rtol=1e-5, atol=1e-6)


def test_functional_forward_takes_a_leading_task_dimension():
    """Per-task parameters and inputs ([tasks, ...]) give each task's own forward."""
    task = make_task("digits", dict(DEFAULTS["digits"]))
    model = task.make_model()
    tasks = 3
    params = {n: torch.randn(tasks, *p.shape) for n, p in model.named_parameters()}
    x = task.sample("train", 0, range(tasks)).support_x
    batched = model.functional_forward(params, x)
    for t in range(tasks):
        one = torch.func.functional_call(model, {n: p[t] for n, p in params.items()}, (x[t],))
        assert torch.allclose(batched[t], one, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("task_name", ["sinusoid", "digits"])
@pytest.mark.parametrize(
    ("algorithm_name", "overrides"),
    [("maml", {}), ("fomaml", {}), ("reptile", {}), ("anil", {}), ("anil", {"first_order": True})],
)
def test_eager_batched_and_functional_formulations_agree(task_name, algorithm_name, overrides):
    """Each algorithm's eager batched-autograd meta-gradient (every task at once on per-task
    parameters) equals its torch.func one (vmap over tasks, the one torch.compile traces)."""
    algorithm, model, params, batch, point = setup(algorithm_name, task_name, inner_steps=3,
                                                   **overrides)
    grads, loss = algorithm.meta_gradients(params, batch)
    functional, functional_loss = algorithm.functional_meta_gradients(params, batch)
    assert set(grads) == set(params)
    assert_close(grads, functional)
    assert torch.allclose(loss, functional_loss)
    assert max(g.abs().max().item() for g in grads.values()) > 1e-4  # not trivially zero
