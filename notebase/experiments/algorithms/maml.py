"""Second-order MAML (Finn et al. 2017): differentiate the query loss through the inner loop.

The inner SGD steps are taken with `torch.func.grad` and the outer `grad` differentiates through
them (Hessian-vector products included), so graph memory grows with `inner_steps`.
"""

from __future__ import annotations

import torch
from torch.func import grad_and_value, vmap

from notebase.experiments.algorithms.base import MetaAlgorithm, Params
from notebase.experiments.tasks import TaskBatch


class MAML(MetaAlgorithm):
    name = "maml"
    second_order = True
    first_order = False

    def task_query_loss(self, params: Params, sx, sy, qx, qy) -> torch.Tensor:
        adapted = self.sgd_steps(
            params, sx, sy, self.inner_steps, self.inner_lr, first_order=self.first_order
        )
        return self.loss(adapted, qx, qy)

    def meta_loss(self, params: Params, sx, sy, qx, qy) -> torch.Tensor:
        per_task = vmap(self.task_query_loss, in_dims=(None, 0, 0, 0, 0))(params, sx, sy, qx, qy)
        return per_task.mean()

    def meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        return grad_and_value(self.meta_loss)(params, *batch.tensors())
