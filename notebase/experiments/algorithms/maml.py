"""Second-order MAML (Finn et al. 2017): differentiate the query loss through the inner loop.

The inner SGD steps are taken with `torch.func.grad` and the outer `grad` differentiates through
them (Hessian-vector products included), so graph memory grows with `inner_steps`.
"""

from __future__ import annotations

import torch
from torch.func import vmap

from notebase.experiments.algorithms.base import MetaAlgorithm, Params, mean_task_gradients
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
        """The meta-objective: mean query loss after adaptation (`meta_gradients` is its
        gradient, taken per task)."""
        per_task = vmap(self.task_query_loss, in_dims=(None, 0, 0, 0, 0))(params, sx, sy, qx, qy)
        return per_task.mean()

    def meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        return mean_task_gradients(self.task_query_loss, params, batch)
