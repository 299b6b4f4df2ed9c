"""How well iMAML's conjugate gradient did, for the run record: measured once per row, after
training, outside the timed iterations.

iMAML solves ``(I + H/lam) x = g`` by `cg_steps` of conjugate gradient
(`notebase.experiments.algorithms.imaml.conjugate_gradient`, which skips directions of
non-positive curvature so that it can run under ``vmap`` without branches). When the support
Hessian ``H`` has eigenvalues below ``-lam`` the system is indefinite, CG meets non-positive
curvature and the implicit meta-gradient it returns is unreliable; when it does not reach a
small residual in `cg_steps`, likewise. This module replays the same solve on a few tasks of
one batch, one task at a time, and counts both, so the findings can flag the row
(`notebase.experiments.findings.validity_flags`).
"""

from __future__ import annotations

from typing import Any

TASKS = 5
"""Tasks of the batch the solve is replayed on."""


def cg_diagnostics(algorithm, params, batch, tasks: int = TASKS) -> dict[str, Any]:
    """``{cg_nonpositive_fraction, cg_relative_residual}``: the share of CG iterations that met
    curvature <= 0, and the largest final relative residual ``|b - A x| / |b|``, over the
    first ``tasks`` tasks of ``batch`` at ``params``."""
    import torch
    from torch.func import grad, jvp

    def dot(a, b):
        return sum((a[name] * b[name]).sum() for name in a)

    nonpositive = steps = 0
    worst = 0.0
    count = min(tasks, batch.support_x.shape[0])
    for index in range(count):
        sx, sy = batch.support_x[index], batch.support_y[index]
        qx, qy = batch.query_x[index], batch.query_y[index]
        adapted = algorithm.proximal_steps(
            params, sx, sy, algorithm.inner_steps, algorithm.inner_lr
        )
        b = grad(algorithm.loss)(adapted, qx, qy)

        def support_loss(p, sx=sx, sy=sy):
            return algorithm.loss(p, sx, sy)

        def apply_a(vector, adapted=adapted, support_loss=support_loss):
            _, hessian_vector = jvp(grad(support_loss), (adapted,), (vector,))
            return {n: vector[n] + hessian_vector[n] / algorithm.lam for n in vector}

        x = {n: torch.zeros_like(v) for n, v in b.items()}
        residual, direction = dict(b), dict(b)
        norm = dot(residual, residual)
        b_norm = float(norm.sqrt())
        for _ in range(algorithm.cg_steps):
            a_direction = apply_a(direction)
            curvature = dot(direction, a_direction)
            steps += 1
            if float(curvature) <= 0:
                nonpositive += 1
                alpha = 0.0  # the algorithm's own rule: no step along such a direction
            else:
                alpha = float(norm / curvature)
            x = {n: x[n] + alpha * direction[n] for n in x}
            residual = {n: residual[n] - alpha * a_direction[n] for n in residual}
            new_norm = dot(residual, residual)
            beta = float(new_norm / norm) if float(norm) > 0 else 0.0
            direction = {n: residual[n] + beta * direction[n] for n in direction}
            norm = new_norm
        true_residual = {n: b[n] - apply_a(x)[n] for n in b}
        relative = float(dot(true_residual, true_residual).sqrt()) / b_norm if b_norm > 0 else 0.0
        worst = max(worst, relative)
    return {
        "cg_nonpositive_fraction": nonpositive / steps if steps else 0.0,
        "cg_relative_residual": worst,
    }
