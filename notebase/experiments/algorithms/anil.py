"""ANIL (Raghu et al. 2020): adapt only the final linear head; the body is meta-learned.

Features are computed once per task; the inner loop updates the head alone, and the
meta-gradient flows through head adaptation (second order over the head only, unless
``first_order = true``) into head and body.
"""

from __future__ import annotations

import torch
from torch.func import functional_call, grad, grad_and_value, vmap

from notebase.experiments.algorithms.base import MetaAlgorithm, Params, detached

BODY, HEAD = "body.", "head."


def _strip(params: Params, prefix: str) -> Params:
    return {n[len(prefix):]: v for n, v in params.items() if n.startswith(prefix)}


class ANIL(MetaAlgorithm):
    name = "anil"
    second_order = True

    def __init__(self, model, task, point):
        super().__init__(model, task, point)
        self.first_order: bool = point.get("first_order", False)

    def head_loss(self, head: Params, features: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(functional_call(self.model.head, head, (features,)), y)

    def adapt_head(self, head: Params, features, y, steps: int, lr: float, first_order: bool):
        for _ in range(steps):
            at = detached(head) if first_order else head
            grads = grad(self.head_loss)(at, features, y)
            head = {n: head[n] - lr * grads[n] for n in head}
        return head

    def adapt(self, params: Params, x, y, steps: int, lr: float) -> Params:
        features = functional_call(self.model.body, _strip(params, BODY), (x,))
        head = self.adapt_head(_strip(params, HEAD), features, y, steps, lr, first_order=True)
        adapted = dict(params)
        adapted.update({HEAD + n: v for n, v in head.items()})
        return adapted

    def task_query_loss(self, params: Params, sx, sy, qx, qy) -> torch.Tensor:
        body = _strip(params, BODY)
        support_features = functional_call(self.model.body, body, (sx,))
        query_features = functional_call(self.model.body, body, (qx,))
        head = self.adapt_head(
            _strip(params, HEAD), support_features, sy, self.inner_steps, self.inner_lr,
            self.first_order,
        )
        return self.head_loss(head, query_features, qy)

    def meta_loss(self, params: Params, sx, sy, qx, qy) -> torch.Tensor:
        per_task = vmap(self.task_query_loss, in_dims=(None, 0, 0, 0, 0))(params, sx, sy, qx, qy)
        return per_task.mean()

    def meta_gradients(self, params, batch):
        return grad_and_value(self.meta_loss)(params, *batch.tensors())
