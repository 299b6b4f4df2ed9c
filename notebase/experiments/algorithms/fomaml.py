"""First-order MAML: the meta-gradient is the query gradient at the adapted parameters.

Equal to MAML with the second-order term (the Jacobian of the inner loop) replaced by the
identity. No graph through the inner gradients is kept, so memory stays flat in `inner_steps`.

Eagerly (`meta_gradients`) every task adapts at once on per-task parameters
(`MetaAlgorithm.batched_sgd_steps`, first order): the adapted parameters are the shared ones
plus constants, so one `torch.autograd.grad` of the mean query loss gives the mean of the
query gradients. `functional_meta_gradients` is the `torch.func` form (`vmap` of each task's
`grad_and_value`), used under `torch.compile`; they are tested equal.
"""

from __future__ import annotations

import torch
from torch.func import grad_and_value

from notebase.experiments.algorithms.base import MetaAlgorithm, Params, mean_of_tasks
from notebase.experiments.tasks import TaskBatch


class FOMAML(MetaAlgorithm):
    name = "fomaml"

    def task_gradient(self, params: Params, sx, sy, qx, qy) -> tuple[Params, torch.Tensor]:
        adapted = self.sgd_steps(params, sx, sy, self.inner_steps, self.inner_lr, first_order=True)
        return grad_and_value(self.loss)(adapted, qx, qy)

    def functional_meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        return mean_of_tasks(self.task_gradient, params, batch)

    def meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        return self.batched_meta_gradients(params, batch, first_order=True)
