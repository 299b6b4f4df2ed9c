"""Second-order MAML (Finn et al. 2017): differentiate the query loss through the inner loop.

The inner SGD steps keep their graph (Hessian-vector products included in the meta-gradient),
so graph memory grows with `inner_steps`.

Two formulations of the same meta-gradient:
- `meta_gradients` (eager, the default): plain `torch.autograd` on every task at once. The
  meta-parameters are viewed as per-task copies (`MetaModel.per_task_parameters`: weights
  [tasks, in, out], biases [tasks, 1, out]), each layer is one `baddbmm` over the task
  dimension, the inner loss is the sum over tasks (its gradient with respect to one task's
  copy is that task's own gradient) and `torch.autograd.grad(create_graph=True)` takes the
  inner steps; the mean query loss is differentiated back to the shared parameters. The
  1/examples of each task's mean loss is folded into the step size. This is the batched
  plain-autograd formulation of `bench/maml_reference.py`, op for op; nested
  `torch.func.grad` levels cost about twice as much per tiny operation.
- `functional_meta_gradients`: `grad` of each task's query loss under `vmap`, all `torch.func`;
  used under `torch.compile`, which cannot trace autograd's double backward.
"""

from __future__ import annotations

import torch

from notebase.experiments.algorithms.base import (
    MetaAlgorithm,
    Params,
    mean_task_gradients,
)
from notebase.experiments.tasks import TaskBatch


class MAML(MetaAlgorithm):
    name = "maml"

    # -- torch.func, one task at a time under vmap ------------------------------------------
    def task_query_loss(self, params: Params, sx, sy, qx, qy) -> torch.Tensor:
        adapted = self.sgd_steps(params, sx, sy, self.inner_steps, self.inner_lr, first_order=False)
        return self.loss(adapted, qx, qy)

    def functional_meta_gradients(
        self, params: Params, batch: TaskBatch
    ) -> tuple[Params, torch.Tensor]:
        return mean_task_gradients(self.task_query_loss, params, batch)

    # -- torch.autograd, all tasks at once on per-task parameters ----------------------------
    def meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        return self.batched_meta_gradients(params, batch, first_order=False)
