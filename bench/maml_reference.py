"""The anchor notebase's MAML is measured against: batched plain-autograd second-order MAML.

Written the way a PyTorch user who knows the trick would write it, in a dozen lines: the tasks
of a meta-batch stacked on a leading dimension, each one's copy of the weights expanded from
the shared ones, a layer is one `baddbmm`, the inner steps by `torch.autograd.grad
(create_graph=True)` of the summed task losses, the meta-gradient by `torch.autograd.grad` of
the mean query loss, and one `torch.Generator` sampling the whole batch (three `torch.rand`
calls). Plain `torch.optim.Adam` steps. No `vmap`, no `torch.func`, nothing from notebase.
The same dozen lines give the obvious batched FOMAML (no graph through the inner gradients),
Reptile (weights - mean of the adapted weights) and second-order ANIL (the body shared by every
task, one `matmul` per layer; only the head's copies adapted).

Weights are kept as [in, out] (biases [1, out]); `from_model`/`to_model_layout` convert from
and to notebase's `MetaModel` names and layout, for the gradient check.
"""

from __future__ import annotations

import math

import torch

NAMES = ("body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias", "head.weight", "head.bias")


def sample(generator: torch.Generator, tasks: int, shots: int, query: int):
    """A sinusoid meta-batch from one generator: y = A sin(x - phase)."""
    amplitude = 0.1 + 4.9 * torch.rand(tasks, 1, 1, generator=generator)
    phase = math.pi * torch.rand(tasks, 1, 1, generator=generator)
    x = -5.0 + 10.0 * torch.rand(tasks, shots + query, 1, generator=generator)
    y = amplitude * torch.sin(x - phase)
    return x[:, :shots], y[:, :shots], x[:, shots:], y[:, shots:]


def forward(w, x):
    h = torch.relu(torch.baddbmm(w[1], x, w[0]))
    h = torch.relu(torch.baddbmm(w[3], h, w[2]))
    return torch.baddbmm(w[5], h, w[4])


def meta_gradient(weights, batch, steps: int, lr: float, algorithm: str = "maml"):
    """(meta-gradient w.r.t. `weights`, mean query loss) through `steps` SGD steps: `maml`
    differentiates through them, `fomaml` takes the query gradient at the adapted weights,
    `reptile` returns weights - mean(adapted)."""
    sx, sy, qx, qy = batch
    if algorithm == "anil":
        return _anil_meta_gradient(weights, batch, steps, lr)
    second_order = algorithm == "maml"
    fast = [w.expand(sx.shape[0], *w.shape) for w in weights]
    for _ in range(steps):
        loss = ((forward(fast, sx) - sy) ** 2).mean(dim=(1, 2)).sum()
        grads = torch.autograd.grad(loss, fast, create_graph=second_order)
        fast = [w - lr * g for w, g in zip(fast, grads, strict=True)]
    if algorithm == "reptile":
        with torch.no_grad():
            query = ((forward(fast, qx) - qy) ** 2).mean()
            return [w - f.mean(0) for w, f in zip(weights, fast, strict=True)], query
    query = ((forward(fast, qx) - qy) ** 2).mean()
    return torch.autograd.grad(query, weights), query.detach()


def _anil_meta_gradient(weights, batch, steps: int, lr: float):
    """Second-order ANIL: features from the shared body, the head's copies adapted."""
    sx, sy, qx, qy = batch

    def features(x):
        h = torch.relu(torch.matmul(x, weights[0]) + weights[1])
        return torch.relu(torch.matmul(h, weights[2]) + weights[3])

    support, query_features = features(sx), features(qx)
    head = [w.expand(sx.shape[0], *w.shape) for w in weights[4:]]
    for _ in range(steps):
        loss = ((torch.baddbmm(head[1], support, head[0]) - sy) ** 2).mean(dim=(1, 2)).sum()
        grads = torch.autograd.grad(loss, head, create_graph=True)
        head = [w - lr * g for w, g in zip(head, grads, strict=True)]
    query = ((torch.baddbmm(head[1], query_features, head[0]) - qy) ** 2).mean()
    return torch.autograd.grad(query, weights), query.detach()


class Reference:
    """Meta-training state: weights, Adam, the one generator."""

    def __init__(self, model, point: dict, seed: int = 0, algorithm: str = "maml"):
        self.algorithm = algorithm
        self.weights = from_model(model)
        self.optimizer = torch.optim.Adam(self.weights, lr=point["meta_lr"])
        self.generator = torch.Generator().manual_seed(seed)
        self.point = point

    def step(self, batch=None):
        """One meta-iteration (sampling its own batch unless given one); returns the loss."""
        p = self.point
        if batch is None:
            batch = sample(self.generator, p["meta_batch"], p["shots"], p["query"])
        grads, loss = meta_gradient(
            self.weights, batch, p["inner_steps"], p["inner_lr"], self.algorithm
        )
        for w, g in zip(self.weights, grads, strict=True):
            w.grad = g
        self.optimizer.step()
        return loss


def from_model(model) -> list[torch.nn.Parameter]:
    """Copies of a `MetaModel`'s parameters in this module's layout, as leaves."""
    params = dict(model.named_parameters())
    return [
        torch.nn.Parameter(params[n].detach().mT.clone() if n.endswith("weight")
                           else params[n].detach().unsqueeze(0).clone())
        for n in NAMES
    ]


def to_model_layout(tensors) -> dict[str, torch.Tensor]:
    """Tensors in this module's layout (weights or their gradients) under `MetaModel` names."""
    return {n: (t.mT if n.endswith("weight") else t.squeeze(0)) for n, t in zip(NAMES, tensors, strict=True)}
