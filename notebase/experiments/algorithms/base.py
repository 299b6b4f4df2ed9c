"""What every meta-learning algorithm shares: a functional model, a loss, task adaptation.

Parameters travel as plain dicts of tensors (name -> tensor) through `torch.func` (`grad`,
`vmap`); the model's forward is a pure function of that dict, equal to
`torch.func.functional_call` on the module. The meta-batch is handled by `vmap` over the
leading task dimension, never by a Python loop over tasks.

Eager speed is set by the number of operations, not their size: every tiny op of the inner
loop passes through each nested transform level (outer `grad`, `vmap`, inner `grad`), which
costs far more than the arithmetic (~20 us per elementwise op there against ~3 us plain). Hence
`mean_task_gradients` (per-task gradients under `vmap`, then the mean), the one-op SGD update in
`MetaAlgorithm.sgd_steps`. Second-order MAML goes further and leaves `torch.func.grad` for
plain `torch.autograd` on per-task parameters (see `maml`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.func import grad, grad_and_value, vmap

from notebase.experiments.tasks import MetaModel, TaskBatch, TaskDistribution

Params = dict[str, torch.Tensor]


def leaves_of(params: Params) -> Params:
    """Fresh leaves with the same values, to differentiate with respect to."""
    return {name: value.detach().requires_grad_() for name, value in params.items()}


def detached(params: Params) -> Params:
    """The same values with no gradient flowing back (inside `torch.func` transforms too)."""
    return {name: value.detach() for name, value in params.items()}


def mean_over_tasks(per_task: Params) -> Params:
    return {name: value.mean(dim=0) for name, value in per_task.items()}


def mean_of_tasks(
    task_fn: Callable[..., tuple[Params, torch.Tensor]], params: Params, batch: TaskBatch
) -> tuple[Params, torch.Tensor]:
    """``task_fn(params, sx, sy, qx, qy) -> (per-task gradient, loss)`` of every task under
    `vmap`, averaged over the meta-batch."""
    grads, losses = vmap(task_fn, in_dims=(None, 0, 0, 0, 0))(params, *batch.tensors())
    return mean_over_tasks(grads), losses.mean()


def mean_task_gradients(
    task_loss: Callable[..., torch.Tensor], params: Params, batch: TaskBatch
) -> tuple[Params, torch.Tensor]:
    """Gradient and value of the mean over tasks of ``task_loss(params, sx, sy, qx, qy)``.

    Takes each task's gradient under `vmap` and averages them, which equals the gradient of
    the averaged loss up to float rounding. Eagerly it is faster than ``grad`` of a vmapped
    mean (measured ~1.15x on the torch.func formulation of second-order MAML, sinusoid,
    meta-batch 25, one CPU thread), at the cost of a little memory: the per-task gradients
    exist before the mean (~0.6 MB more at that size).
    """
    return mean_of_tasks(grad_and_value(task_loss), params, batch)


class MetaAlgorithm:
    """Base class: subclasses implement `meta_gradients`; `adapt` is plain SGD on the support."""

    name = ""

    def __init__(self, model: MetaModel, task: TaskDistribution, point: dict[str, Any]):
        self.model = model
        self.task = task
        self.loss_fn = task.loss
        self.inner_steps: int = point["inner_steps"]
        self.inner_lr: float = point["inner_lr"]

    # -- one task ---------------------------------------------------------------------------
    def forward(self, params: Params, x: torch.Tensor) -> torch.Tensor:
        return self.model.functional_forward(params, x)

    def loss(self, params: Params, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(self.forward(params, x), y)

    def sgd_steps(
        self, params: Params, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float,
        *, first_order: bool, loss: Callable[..., torch.Tensor] | None = None,
    ) -> Params:
        """`steps` gradient steps on one task of ``loss(params, x, y)`` (default `self.loss`);
        `first_order` stops gradients through them."""
        loss_grad = grad(loss or self.loss)
        for _ in range(steps):
            at = detached(params) if first_order else params
            grads = loss_grad(at, x, y)
            # One op per tensor (not a multiply and a subtract): fewer nodes to differentiate
            # through when an outer `grad` goes through these steps.
            params = {name: torch.add(params[name], grads[name], alpha=-lr) for name in params}
        return params

    def adapt(self, params: Params, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float) -> Params:
        """Test-time adaptation of one task (no meta-gradient needed)."""
        return self.sgd_steps(params, x, y, steps, lr, first_order=True)

    # -- every task at once, plain autograd (the eager formulation) ---------------------------
    def batched_sgd_steps(
        self, fast: Params, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float,
        *, first_order: bool, forward: Callable[..., torch.Tensor] | None = None,
    ) -> Params:
        """`steps` SGD steps of every task at once on per-task parameters (the batched layout
        of `MetaModel.per_task_parameters`; `forward` defaults to `MetaModel.batched_forward`).

        The loss is the sum over tasks of each task's summed example losses: its gradient with
        respect to one task's copy is that task's own gradient, and the 1/examples of a mean
        is folded into the step size. `first_order` takes the gradients at detached copies of
        the parameters, as `sgd_steps` does: the result depends on `fast` as fast + a term
        that does not, so a gradient through it is the first-order one; a graph through the
        gradients is kept only when `x` has one (ANIL's features), as under `torch.func`.
        """
        forward = forward or self.model.batched_forward
        loss_sum = self.task.task_losses_sum
        alpha = -lr / self.task.examples_per_loss(y)
        create_graph = not first_order or x.requires_grad
        # Without a graph through the gradients they are constants anyway: no detached copies.
        detach = first_order and create_graph
        for _ in range(steps):
            at = {n: v.detach().requires_grad_() for n, v in fast.items()} if detach else fast
            grads = torch.autograd.grad(
                loss_sum(forward(at, x), y), tuple(at.values()), create_graph=create_graph
            )
            fast = {
                name: torch.add(value, g, alpha=alpha)
                for (name, value), g in zip(fast.items(), grads, strict=True)
            }
        return fast

    def batched_mean_loss(
        self, fast: Params, x: torch.Tensor, y: torch.Tensor,
        forward: Callable[..., torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """The mean over tasks of each task's mean loss, per-task parameters."""
        forward = forward or self.model.batched_forward
        scale = 1.0 / (x.shape[0] * self.task.examples_per_loss(y))
        return self.task.task_losses_sum(forward(fast, x), y) * scale

    def batched_meta_gradients(
        self, params: Params, batch: TaskBatch, *, first_order: bool
    ) -> tuple[Params, torch.Tensor]:
        """MAML's meta-gradient (FOMAML's with `first_order`), every task at once: the shared
        parameters viewed per task, adapted by `batched_sgd_steps`, the mean query loss
        differentiated back to the shared parameters."""
        sx, sy, qx, qy = batch.tensors()
        with torch.enable_grad():
            leaves = leaves_of(params)
            fast = self.model.per_task_parameters(leaves, batch.size)
            adapted = self.batched_sgd_steps(
                fast, sx, sy, self.inner_steps, self.inner_lr, first_order=first_order
            )
            loss = self.batched_mean_loss(adapted, qx, qy)
            grads = torch.autograd.grad(loss, tuple(leaves.values()))
        return dict(zip(leaves, grads, strict=True)), loss.detach()

    # -- a meta-batch -----------------------------------------------------------------------
    def meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        """(gradient of the meta-objective w.r.t. every parameter, mean query loss)."""
        raise NotImplementedError

    def functional_meta_gradients(
        self, params: Params, batch: TaskBatch
    ) -> tuple[Params, torch.Tensor]:
        """`meta_gradients` in `torch.func` alone, which `torch.compile` can trace (it cannot
        trace a double backward of `torch.autograd.grad`). The same unless a subclass makes
        its eager `meta_gradients` faster another way."""
        return self.meta_gradients(params, batch)

    def evaluate(self, params: Params, batch: TaskBatch, steps: int, lr: float) -> dict[str, float]:
        """Query loss (and accuracy) before and after adapting to each task's support set."""
        sx, sy, qx, qy = batch.tensors()

        def one_task(sx, sy, qx):
            before = self.forward(params, qx)
            adapted = self.adapt(params, sx, sy, steps, lr)
            after = self.forward(adapted, qx)
            return before, after

        with torch.no_grad():
            before, after = vmap(one_task)(sx, sy, qx)
            scores = {
                "pre_adaptation_loss": vmap(self.loss_fn)(before, qy).mean().item(),
                "post_adaptation_loss": vmap(self.loss_fn)(after, qy).mean().item(),
            }
            if self.task.classification:
                accuracy = self.task.accuracy
                scores["pre_adaptation_accuracy"] = vmap(accuracy)(before, qy).mean().item()
                scores["post_adaptation_accuracy"] = vmap(accuracy)(after, qy).mean().item()
        return scores


def compiled_meta_gradients(algorithm: MetaAlgorithm, mode: str | None = None):
    """`algorithm.functional_meta_gradients` through `torch.compile` (inductor), shapes fixed.

    Compilation happens on the first call (tens of seconds on a CPU) and fuses the many tiny
    operations of the inner loop; the caller falls back to eager when that call fails. With
    ``mode="reduce-overhead"`` (CUDA graphs) every call starts a new graph step, so the
    previous call's outputs may be overwritten: callers use them before calling again.
    """
    compiled = torch.compile(
        lambda params, sx, sy, qx, qy: algorithm.functional_meta_gradients(
            params, TaskBatch(sx, sy, qx, qy)
        ),
        dynamic=False,
        mode=mode,
    )
    if mode != "reduce-overhead":
        return lambda params, batch: compiled(params, *batch.tensors())

    def run(params, batch):
        torch.compiler.cudagraph_mark_step_begin()
        return compiled(params, *batch.tensors())

    return run
