"""ANIL (Raghu et al. 2020): adapt only the final linear head; the body is meta-learned.

Features are computed once per task; the inner loop updates the head alone, and the
meta-gradient flows through head adaptation (second order over the head only, unless
``first_order = true``) into head and body.

Eagerly (`meta_gradients`) the shared body runs on every task's examples at once, the head is
viewed per task (`MetaModel.per_task_parameters`) and adapted by
`MetaAlgorithm.batched_sgd_steps`; one `torch.autograd.grad` of the mean query loss reaches
head and body. `functional_meta_gradients` is the `torch.func` form (`vmap` over tasks), used
under `torch.compile`; they are tested equal.
"""

from __future__ import annotations

import torch

from notebase.experiments.algorithms.base import (
    MetaAlgorithm,
    Params,
    leaves_of,
    mean_task_gradients,
)
from notebase.experiments.tasks import TaskBatch

HEAD = "head."


def _head(params: Params) -> Params:
    """The head's parameters, full names kept (``head.weight``, ``head.bias``)."""
    return {n: v for n, v in params.items() if n.startswith(HEAD)}


class ANIL(MetaAlgorithm):
    name = "anil"

    def __init__(self, model, task, point):
        super().__init__(model, task, point)
        self.first_order: bool = point.get("first_order", False)

    def head_loss(self, head: Params, features: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(self.model.functional_head(head, features), y)

    def adapt(self, params: Params, x, y, steps: int, lr: float) -> Params:
        features = self.model.functional_body(params, x)
        head = self.sgd_steps(
            _head(params), features, y, steps, lr, first_order=True, loss=self.head_loss
        )
        return {**params, **head}

    def task_query_loss(self, params: Params, sx, sy, qx, qy) -> torch.Tensor:
        support_features = self.model.functional_body(params, sx)
        query_features = self.model.functional_body(params, qx)
        head = self.sgd_steps(
            _head(params), support_features, sy, self.inner_steps, self.inner_lr,
            first_order=self.first_order, loss=self.head_loss,
        )
        return self.head_loss(head, query_features, qy)

    def functional_meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        return mean_task_gradients(self.task_query_loss, params, batch)

    def meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        sx, sy, qx, qy = batch.tensors()
        head_forward = self.model.batched_head
        with torch.enable_grad():
            leaves = leaves_of(params)
            support = self.model.functional_body(leaves, sx)
            query = self.model.functional_body(leaves, qx)
            fast = self.model.per_task_parameters(_head(leaves), batch.size)
            adapted = self.batched_sgd_steps(
                fast, support, sy, self.inner_steps, self.inner_lr,
                first_order=self.first_order, forward=head_forward,
            )
            loss = self.batched_mean_loss(adapted, query, qy, forward=head_forward)
            grads = torch.autograd.grad(loss, tuple(leaves.values()))
        return dict(zip(leaves, grads, strict=True)), loss.detach()
