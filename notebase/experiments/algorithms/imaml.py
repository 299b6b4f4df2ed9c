"""iMAML (Rajeswaran et al. 2019): implicit meta-gradients through a proximal inner problem.

Each task adapts by `inner_steps` gradient steps on
``L_support(phi) + lam/2 * ||phi - params||^2`` starting from ``params``. At the optimum,
``d phi/d params = (I + H/lam)^-1`` with ``H`` the Hessian of the support loss, so the
meta-gradient is ``(I + H/lam)^-1 grad L_query(phi)``, solved by `cg_steps` of conjugate
gradient with Hessian-vector products (forward-over-reverse `jvp` of `grad`). Nothing is
differentiated through the inner loop, so memory stays flat in `inner_steps`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.func import grad, grad_and_value, jvp

from notebase.experiments.algorithms.base import MetaAlgorithm, Params, mean_of_tasks
from notebase.experiments.tasks import TaskBatch

# Guards CG's divisions once the residual is exactly zero.
_TINY = 1e-20


def _dot(a: Params, b: Params) -> torch.Tensor:
    return sum((a[name] * b[name]).sum() for name in a)


def conjugate_gradient(apply_a: Callable[[Params], Params], b: Params, steps: int) -> Params:
    """Solve A x = b for a symmetric A given as a function, `steps` iterations of CG.

    A fixed number of iterations and no data-dependent branches, so it runs under `vmap`;
    directions of non-positive curvature get a zero step.
    """
    x = {name: torch.zeros_like(value) for name, value in b.items()}
    residual = dict(b)
    direction = dict(b)
    residual_norm = _dot(residual, residual)
    for _ in range(steps):
        a_direction = apply_a(direction)
        curvature = _dot(direction, a_direction)
        # A non-convex support loss can make A indefinite: never step along a direction of
        # non-positive curvature (that step would blow the solution up).
        alpha = torch.where(
            curvature > 0, residual_norm / curvature.clamp_min(_TINY), torch.zeros_like(curvature)
        )
        x = {n: x[n] + alpha * direction[n] for n in x}
        residual = {n: residual[n] - alpha * a_direction[n] for n in residual}
        new_norm = _dot(residual, residual)
        beta = new_norm / (residual_norm + _TINY)
        direction = {n: residual[n] + beta * direction[n] for n in direction}
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

    def meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        return mean_of_tasks(self.task_gradient, params, batch)
