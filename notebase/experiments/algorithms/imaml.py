"""iMAML (Rajeswaran et al. 2019): implicit meta-gradients through a proximal inner problem.

Each task adapts by `inner_steps` gradient steps on
``L_support(phi) + lam/2 * ||phi - params||^2`` starting from ``params``. At the optimum,
``d phi/d params = (I + H/lam)^-1`` with ``H`` the Hessian of the support loss, so the
meta-gradient is ``(I + H/lam)^-1 grad L_query(phi)``, solved by `cg_steps` of conjugate
gradient with Hessian-vector products. Nothing is differentiated through the inner loop, so
memory stays flat in `inner_steps`.

Two formulations of the same meta-gradient:
- `meta_gradients` (eager, the default): plain `torch.autograd` on every task at once. The
  parameters are viewed per task (`MetaModel.per_task_parameters`), the proximal steps take
  the gradient of the support loss summed over tasks (a task's copy gets its own gradient),
  and CG solves every task's system at once with per-task scalars (`per_task_dot`). The
  Hessian of the summed support loss is block-diagonal across tasks, so one double backward
  of its gradient gives every task's Hessian-vector product.
- `functional_meta_gradients`: `grad` and forward-over-reverse `jvp` HVPs of one task under
  `vmap`, all `torch.func`; used under `torch.compile`, which cannot trace autograd's double
  backward. Eagerly it is ~4x slower at the sinusoid defaults (23 against 5.8 ms a call,
  `bench/imaml_bench.py`): every tiny op of the inner steps and of CG passes through the
  transform levels.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.func import grad, grad_and_value, jvp

from notebase.experiments.algorithms.base import MetaAlgorithm, Params, leaves_of, mean_of_tasks
from notebase.experiments.tasks import TaskBatch

# Guards CG's divisions once the residual is exactly zero.
_TINY = 1e-20


def _dot(a: Params, b: Params) -> torch.Tensor:
    return sum((a[name] * b[name]).sum() for name in a)


def per_task_dot(a: Params, b: Params) -> torch.Tensor:
    """Each task's own dot product of tensors with a leading task dimension, shaped
    [tasks, 1, ...] so that it broadcasts over a task's parameter dimensions."""
    return sum(
        (a[name] * b[name]).sum(dim=tuple(range(1, a[name].dim())), keepdim=True) for name in a
    )


def conjugate_gradient(
    apply_a: Callable[[Params], Params], b: Params, steps: int,
    dot: Callable[[Params, Params], torch.Tensor] = _dot,
) -> Params:
    """Solve A x = b for a symmetric A given as a function, `steps` iterations of CG.

    A fixed number of iterations and no data-dependent branches, so it runs under `vmap`;
    directions of non-positive curvature get a zero step. With `dot` = `per_task_dot` it
    solves independent systems stacked on a leading task dimension (A block-diagonal): every
    scalar is then one per task, and each task's iterates are those of its own solve.
    """
    x = {name: torch.zeros_like(value) for name, value in b.items()}
    residual = dict(b)
    direction = dict(b)
    residual_norm = dot(residual, residual)
    for _ in range(steps):
        a_direction = apply_a(direction)
        curvature = dot(direction, a_direction)
        # A non-convex support loss can make A indefinite: never step along a direction of
        # non-positive curvature (that step would blow the solution up).
        alpha = torch.where(
            curvature > 0, residual_norm / curvature.clamp_min(_TINY), torch.zeros_like(curvature)
        )
        # Each update one `addcmul` (not a multiply and an add): half the passes over the
        # vectors and no temporary, 10-20% of the batched meta-gradient at hidden 256.
        x = {n: torch.addcmul(x[n], alpha, direction[n]) for n in x}
        residual = {n: torch.addcmul(residual[n], alpha, a_direction[n], value=-1) for n in residual}
        new_norm = dot(residual, residual)
        beta = new_norm / (residual_norm + _TINY)
        direction = {n: torch.addcmul(residual[n], beta, direction[n]) for n in direction}
        residual_norm = new_norm
    return x


def implicit_gradient(
    support_loss: Callable[[Params], torch.Tensor],
    adapted: Params,
    query_grad: Params,
    lam: float,
    cg_steps: int,
) -> Params:
    """``(I + H/lam)^-1 query_grad`` with H the Hessian of `support_loss` at `adapted`."""

    def apply_a(vector: Params) -> Params:
        _, hessian_vector = jvp(grad(support_loss), (adapted,), (vector,))
        return {n: vector[n] + hessian_vector[n] / lam for n in vector}

    return conjugate_gradient(apply_a, query_grad, cg_steps)


class IMAML(MetaAlgorithm):
    name = "imaml"

    def __init__(self, model, task, point):
        super().__init__(model, task, point)
        self.lam: float = point["lam"]
        self.cg_steps: int = point["cg_steps"]

    # -- torch.func, one task at a time under vmap ------------------------------------------
    def proximal_steps(self, params: Params, x, y, steps: int, lr: float) -> Params:
        """Gradient steps on the support loss plus the proximal pull toward `params`."""
        anchor = params
        adapted = params
        for _ in range(steps):
            grads = grad(self.loss)(adapted, x, y)
            adapted = {
                n: adapted[n] - lr * (grads[n] + self.lam * (adapted[n] - anchor[n]))
                for n in adapted
            }
        return adapted

    def adapt(self, params: Params, x, y, steps: int, lr: float) -> Params:
        return self.proximal_steps(params, x, y, steps, lr)

    def task_gradient(self, params: Params, sx, sy, qx, qy) -> tuple[Params, torch.Tensor]:
        adapted = self.proximal_steps(params, sx, sy, self.inner_steps, self.inner_lr)
        query_grad, query_loss = grad_and_value(self.loss)(adapted, qx, qy)
        meta_grad = implicit_gradient(
            lambda p: self.loss(p, sx, sy), adapted, query_grad, self.lam, self.cg_steps
        )
        return meta_grad, query_loss

    def functional_meta_gradients(
        self, params: Params, batch: TaskBatch
    ) -> tuple[Params, torch.Tensor]:
        return mean_of_tasks(self.task_gradient, params, batch)

    # -- torch.autograd, all tasks at once on per-task parameters ----------------------------
    def batched_proximal_steps(self, anchor: Params, x, y) -> Params:
        """`proximal_steps` of every task at once from `anchor` (per-task layout), no graph.

        As in `batched_sgd_steps`, the gradient is that of the loss summed over tasks and
        examples, its 1/examples folded into the step; the pull ``-lr*lam*(phi - anchor)`` is
        one `lerp` toward the anchor."""
        alpha = -self.inner_lr / self.task.examples_per_loss(y)
        pull = self.inner_lr * self.lam
        adapted = anchor
        for _ in range(self.inner_steps):
            at = leaves_of(adapted)
            loss = self.task.task_losses_sum(self.model.batched_forward(at, x), y)
            grads = torch.autograd.grad(loss, tuple(at.values()))
            adapted = {
                name: torch.add(torch.lerp(value, anchor[name], pull), g, alpha=alpha)
                for (name, value), g in zip(adapted.items(), grads, strict=True)
            }
        return adapted

    def batched_query_gradients(self, adapted: Params, x, y) -> tuple[Params, torch.Tensor]:
        """Each task's gradient of its own mean query loss at `adapted`, and the mean over
        tasks of those losses."""
        at = leaves_of(adapted)
        loss_sum = self.task.task_losses_sum(self.model.batched_forward(at, x), y)
        grads = torch.autograd.grad(loss_sum, tuple(at.values()))
        scale = 1.0 / self.task.examples_per_loss(y)
        per_task = {name: g * scale for name, g in zip(at, grads, strict=True)}
        return per_task, loss_sum.detach() * (scale / x.shape[0])

    def batched_implicit_gradients(self, adapted: Params, x, y, query_grad: Params) -> Params:
        """`implicit_gradient` of every task at once: ``(I + H/lam)^-1 query_grad`` per task,
        H that task's support Hessian at `adapted`.

        The support gradient is taken once with its graph; each CG step's Hessian-vector
        products are one backward of it with the directions as output gradients (H is
        symmetric, so that vector-Jacobian product is H v)."""
        at = leaves_of(adapted)
        loss_sum = self.task.task_losses_sum(self.model.batched_forward(at, x), y)
        support_grads = torch.autograd.grad(loss_sum, tuple(at.values()), create_graph=True)
        # H of a task's mean loss is 1/examples that of its summed one.
        scale = 1.0 / (self.task.examples_per_loss(y) * self.lam)

        def apply_a(vector: Params) -> Params:
            hessian_vector = torch.autograd.grad(
                support_grads, tuple(at.values()), tuple(vector.values()), retain_graph=True
            )
            return {
                name: torch.add(value, hv, alpha=scale)
                for (name, value), hv in zip(vector.items(), hessian_vector, strict=True)
            }

        return conjugate_gradient(apply_a, query_grad, self.cg_steps, dot=per_task_dot)

    def contiguous_per_task(self, params: Params, tasks: int) -> Params:
        """`MetaModel.per_task_parameters` with each task's copy contiguous in memory: one
        copy of the shared parameters, expanded. Its plain views are transposed and the
        adapted copies would inherit that layout, so that the elementwise ops of the proximal
        steps and CG would mix it with autograd's contiguous gradients (measured 2-10% slower
        at hidden 256, the same at the defaults)."""
        one = self.model.per_task_parameters(params, 1)
        return {name: value.contiguous().expand(tasks, *value.shape[1:]) for name, value in one.items()}

    def meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        sx, sy, qx, qy = batch.tensors()
        anchor = self.contiguous_per_task(params, batch.size)
        with torch.enable_grad():
            adapted = self.batched_proximal_steps(anchor, sx, sy)
            query_grad, loss = self.batched_query_gradients(adapted, qx, qy)
            implicit = self.batched_implicit_gradients(adapted, sx, sy, query_grad)
        grads = self.model.shared_layout({n: g.mean(dim=0) for n, g in implicit.items()})
        return grads, loss
