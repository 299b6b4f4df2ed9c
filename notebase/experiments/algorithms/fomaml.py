"""First-order MAML: the meta-gradient is the query gradient at the adapted parameters.

Equal to MAML with the second-order term (the Jacobian of the inner loop) replaced by the
identity. The inner loop runs outside any outer gradient transform, so no graph through it is
kept and memory stays flat in `inner_steps`.
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

    def meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        return mean_of_tasks(self.task_gradient, params, batch)
