"""Reptile (Nichol et al. 2018): move the initialisation toward the adapted parameters.

Each task adapts with `inner_steps` SGD steps on its support set; the meta-"gradient" handed
to the meta-optimizer is ``params - mean(adapted)``. No second-order term, flat memory.

Eagerly (`meta_gradients`) every task adapts at once on per-task parameters
(`MetaAlgorithm.batched_sgd_steps`, first order); `functional_meta_gradients` is the
`torch.func` form (`vmap` over tasks), used under `torch.compile`; they are tested equal.
"""

from __future__ import annotations

import torch
from torch.func import vmap

from notebase.experiments.algorithms.base import MetaAlgorithm, Params, leaves_of
from notebase.experiments.tasks import TaskBatch


class Reptile(MetaAlgorithm):
    name = "reptile"

    def task_update(self, params: Params, sx, sy, qx, qy) -> tuple[Params, torch.Tensor]:
        adapted = self.sgd_steps(params, sx, sy, self.inner_steps, self.inner_lr, first_order=True)
        return adapted, self.loss(adapted, qx, qy)

    def functional_meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        adapted, losses = vmap(self.task_update, in_dims=(None, 0, 0, 0, 0))(
            params, *batch.tensors()
        )
        grads = {name: params[name] - adapted[name].mean(dim=0) for name in params}
        return grads, losses.mean()

    def meta_gradients(self, params: Params, batch: TaskBatch) -> tuple[Params, torch.Tensor]:
        sx, sy, qx, qy = batch.tensors()
        with torch.enable_grad():
            fast = self.model.per_task_parameters(leaves_of(params), batch.size)
            adapted = self.batched_sgd_steps(
                fast, sx, sy, self.inner_steps, self.inner_lr, first_order=True
            )
        with torch.no_grad():
            loss = self.batched_mean_loss(adapted, qx, qy)
            mean = self.model.shared_layout({n: a.mean(dim=0) for n, a in adapted.items()})
            grads = {name: params[name] - mean[name] for name in params}
        return grads, loss
