"""Task distributions for meta-learning: sinusoid regression and few-shot digits classification.

Every task has its own stream of random numbers, keyed by (seed, split, meta-iteration, global
task index). Task ``i`` of meta-iteration ``t`` is therefore the same whichever process samples
it and whatever else is sampled beside it, so a meta-batch split across processes reproduces
the single-process run exactly.

The streams are counter-based (`task_bits`): task ``i``'s k-th number is SplitMix64's output
for the state ``key_i + k * gamma``, a pure function of the key and the counter. A whole
meta-batch is drawn by a handful of vectorised numpy operations over a [tasks, numbers] grid,
with no generator object per task (seeding a ``torch.Generator`` per task per meta-iteration
cost more than the sinusoid's inner step itself).

Data is sampled on the CPU and then moved to the device, so CPU and CUDA runs see the same tasks.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from notebase.experiments.registry import task_class

SPLITS = ("train", "eval")
"""``train`` tasks feed meta-training; ``eval`` tasks are the held-out ones."""


_GAMMA = np.uint64(0x9E3779B97F4A7C15)
"""SplitMix64's increment (the golden ratio in 64 bits)."""


_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function on a fresh uint64 array, in place (arithmetic wraps
    modulo 2**64); returns it."""
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


def task_keys(seed: int, split: str, iteration: int, indices: Iterable[int]) -> np.ndarray:
    """One 64-bit key per task, from its global coordinates only (uint64, [tasks])."""
    text = f"notebase-tasks:{seed}:{split}:{iteration}"
    base = np.uint64(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little"))
    if isinstance(indices, range):
        index = np.arange(indices.start + 1, indices.stop + 1, indices.step, dtype=np.uint64)
    else:
        index = np.asarray(list(indices), np.uint64) + np.uint64(1)
    return _mix64(base + index * _GAMMA)


def task_bits(keys: np.ndarray, count: int) -> np.ndarray:
    """The first `count` 64-bit numbers of each task's stream (uint64, [tasks, count])."""
    return _mix64(keys[:, None] + _counter_steps(count))


@lru_cache(maxsize=64)
def _counter_steps(count: int) -> np.ndarray:
    """``k * gamma`` for k = 1..count (read-only: cached)."""
    steps = np.arange(1, count + 1, dtype=np.uint64) * _GAMMA
    steps.flags.writeable = False
    return steps


def task_uniforms(keys: np.ndarray, count: int) -> np.ndarray:
    """`count` uniform float32 numbers in [0, 1) per task (24 random bits each, exact)."""
    uniform = (task_bits(keys, count) >> np.uint64(40)).astype(np.float32)
    uniform *= np.float32(2.0**-24)
    return uniform


@dataclass
class TaskBatch:
    """A batch of tasks stacked on a leading task dimension."""

    support_x: torch.Tensor
    """Support inputs, shape [tasks, support, features]."""
    support_y: torch.Tensor
    """Support targets: [tasks, support, 1] floats (regression) or [tasks, support] labels."""
    query_x: torch.Tensor
    """Query inputs, shape [tasks, query, features]."""
    query_y: torch.Tensor
    """Query targets, shaped like `support_y`."""

    def to(self, device: torch.device) -> TaskBatch:
        return TaskBatch(*(t.to(device) for t in self.tensors()))

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        return (self.support_x, self.support_y, self.query_x, self.query_y)

    @property
    def size(self) -> int:
        return self.support_x.shape[0]


class MetaModel(nn.Module):
    """A network split into a feature `body` and a linear `head` (ANIL adapts only the head)."""

    def __init__(self, in_features: int, hidden: int, out_features: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(in_features, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
        )
        self.head = nn.Linear(hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    # Pure functions of a parameter dict (names as in `named_parameters`). They compute
    # `functional_call(self, params, (x,))` (up to float rounding) with less Python overhead
    # per call, which matters inside the inner loop. Written with broadcasting, they also take
    # per-task parameters and inputs with a leading task dimension without `vmap`.
    @staticmethod
    def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """``x @ weight.T + bias``. A layer with one input is an outer product and one with
        one output a dot product per row: written elementwise, `torch.compile` fuses them with
        the ops around them instead of calling BLAS for each (sinusoid's 1-40-40-1, compiled
        MAML, interleaved: 2.97x -> 3.30x the batched reference at 5 inner steps, 2.48x ->
        2.70x at 1). The one-input form gives the matmul's numbers exactly."""
        if weight.shape[-1] == 1:
            out = x * weight.mT
        elif weight.shape[-2] == 1:
            out = (x * weight).sum(-1, keepdim=True)
        else:
            out = x @ weight.mT
        return out + bias.unsqueeze(-2)

    @classmethod
    def functional_body(cls, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(cls.linear(x, params["body.0.weight"], params["body.0.bias"]))
        return torch.relu(cls.linear(hidden, params["body.2.weight"], params["body.2.bias"]))

    @classmethod
    def functional_head(cls, params: dict[str, torch.Tensor], features: torch.Tensor) -> torch.Tensor:
        return cls.linear(features, params["head.weight"], params["head.bias"])

    @classmethod
    def functional_forward(cls, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return cls.functional_head(params, cls.functional_body(params, x))

    # The eager batched layout: every task's own copy of the parameters, weights transposed
    # ([tasks, in, out]) and biases as [tasks, 1, out], so that a layer is one `baddbmm`
    # (bias + x @ weight) with no transpose or unsqueeze per call. Made from shared parameters
    # by `per_task_parameters` as views (no copy); gradients flow back to the shared ones.
    @staticmethod
    def per_task_parameters(params: dict[str, torch.Tensor], tasks: int) -> dict[str, torch.Tensor]:
        """`params` (names as in `named_parameters`) in the batched layout, `tasks` times."""
        return {
            name: value.mT.expand(tasks, *value.mT.shape) if value.dim() == 2
            else value.expand(tasks, 1, *value.shape)
            for name, value in params.items()
        }

    @staticmethod
    def shared_layout(values: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """One task's parameters (or a mean over tasks) from the batched layout back to the
        model's: weights [in, out] -> [out, in], biases [1, out] -> [out]."""
        return {name: value.mT if name.endswith("weight") else value.squeeze(0)
                for name, value in values.items()}

    @staticmethod
    def batched_body(fast: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(torch.baddbmm(fast["body.0.bias"], x, fast["body.0.weight"]))
        return torch.relu(torch.baddbmm(fast["body.2.bias"], hidden, fast["body.2.weight"]))

    @staticmethod
    def batched_head(fast: dict[str, torch.Tensor], features: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(fast["head.bias"], features, fast["head.weight"])

    @classmethod
    def batched_forward(cls, fast: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        """Every task's forward at once: per-task parameters (`per_task_parameters` layout) and
        inputs [tasks, examples, in]."""
        return cls.batched_head(fast, cls.batched_body(fast, x))


class TaskDistribution:
    """Common interface: make the model, sample tasks, score predictions."""

    name: str = ""
    classification: bool = False
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

    def __init__(self, point: dict[str, Any]):
        self.point = point

    def make_model(self) -> MetaModel:
        raise NotImplementedError

    def sample_tasks(self, keys: np.ndarray, split: str) -> tuple[np.ndarray, ...]:
        """(support_x, support_y, query_x, query_y) of the tasks with these `task_keys`, each
        with a leading task dimension; task ``i`` depends on ``keys[i]`` alone."""
        raise NotImplementedError

    def sample(self, split: str, iteration: int, indices: Iterable[int]) -> TaskBatch:
        """The tasks with these global indices of this meta-iteration, stacked, on the CPU."""
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}")
        keys = task_keys(self.point["seed"], split, iteration, indices)
        return TaskBatch(*(torch.from_numpy(part) for part in self.sample_tasks(keys, split)))

    def task_losses_sum(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """The sum over tasks and examples of the per-example loss, for outputs and targets
        with a leading task dimension (one op; `examples_per_loss` turns it into means)."""
        raise NotImplementedError

    def examples_per_loss(self, targets: torch.Tensor) -> int:
        """How many summed terms make one task's mean loss, for a batch's targets."""
        raise NotImplementedError

    @staticmethod
    def accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return (outputs.argmax(dim=-1) == targets).float().mean()


def mse_loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return ((outputs - targets) ** 2).mean()


class Sinusoid(TaskDistribution):
    """Finn et al. 2017: y = A sin(x - phase), A ~ U[0.1, 5], phase ~ U[0, pi], x ~ U[-5, 5].

    Model: MLP 1-40-40-1 with ReLU (width from ``hidden``); loss: mean squared error.
    """

    name = "sinusoid"
    classification = False
    loss = staticmethod(mse_loss)

    def make_model(self) -> MetaModel:
        return MetaModel(1, self.point["hidden"], 1)

    def sample_tasks(self, keys: np.ndarray, split: str) -> tuple[np.ndarray, ...]:
        shots, query = self.point["shots"], self.point["query"]
        uniform = task_uniforms(keys, 2 + shots + query)[:, :, None]
        amplitude = np.float32(0.1) + np.float32(4.9) * uniform[:, :1]
        phase = np.float32(math.pi) * uniform[:, 1:2]
        parts = []
        for start, stop in ((2, 2 + shots), (2 + shots, 2 + shots + query)):
            x = uniform[:, start:stop] * np.float32(10.0)  # a contiguous copy [tasks, n, 1]
            x -= np.float32(5.0)
            y = x - phase
            np.sin(y, out=y)
            y *= amplitude
            parts += [x, y]
        return tuple(parts)

    def task_losses_sum(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(outputs, targets, reduction="sum")

    def examples_per_loss(self, targets: torch.Tensor) -> int:
        return targets.shape[-2] * targets.shape[-1]


@lru_cache(maxsize=1)
def _digits_by_class() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled 8x8 digits (no download), pixels scaled to [0, 1]: the images of
    each class, [10, most images in a class, 64] float32 (zero-padded), and each class's count."""
    from sklearn.datasets import load_digits  # heavy import, only for this task

    digits = load_digits()
    images = digits.data.astype(np.float32) / np.float32(16.0)
    counts = np.bincount(digits.target, minlength=10)
    padded = np.zeros((10, counts.max(), images.shape[1]), np.float32)
    for c in range(10):
        padded[c, : counts[c]] = images[digits.target == c]
    return padded, counts


class Digits(TaskDistribution):
    """N-way K-shot classification on scikit-learn's digits (1,797 8x8 images, 10 classes).

    Digits 0-4 are meta-training classes, 5-9 held out for evaluation. Each task picks ``ways`` classes in random order (the order is the label) and
    ``shots`` + ``query`` images per class. Model: MLP 64-h-h-ways with ReLU; loss:
    cross-entropy.
    """

    name = "digits"
    classification = True
    loss = staticmethod(F.cross_entropy)
    CLASSES = {"train": (0, 1, 2, 3, 4), "eval": (5, 6, 7, 8, 9)}
    """Per split, the digits its tasks draw classes from."""

    def make_model(self) -> MetaModel:
        return MetaModel(64, self.point["hidden"], self.point["ways"])

    def sample_tasks(self, keys: np.ndarray, split: str) -> tuple[np.ndarray, ...]:
        """Each task's classes are the first `ways` of a random order of the split's classes
        (sorting random keys; the order is the label), its images per class the first
        ``shots + query`` of a random order of that class's images."""
        images, counts = _digits_by_class()
        ways, shots, query = self.point["ways"], self.point["shots"], self.point["query"]
        pool = np.asarray(self.CLASSES[split])
        tasks, most = len(keys), images.shape[1]
        bits = task_bits(keys, len(pool) + ways * most)
        classes = pool[np.argsort(bits[:, : len(pool)], axis=1, kind="stable")[:, :ways]]
        order = bits[:, len(pool) :].reshape(tasks, ways, most)
        order[np.arange(most) >= counts[classes][..., None]] = np.iinfo(np.uint64).max  # padding
        # The `shots + query` smallest keys, in order: a partial selection, then a sort of those.
        k = shots + query
        picked = np.argpartition(order, k - 1, axis=2)[..., :k] if k < most else np.argsort(order, axis=2)
        picked = np.take_along_axis(
            picked, np.argsort(np.take_along_axis(order, picked, axis=2), axis=2), axis=2
        )
        chosen = images[classes[..., None], picked]  # [tasks, ways, shots + query, 64]
        labels = np.arange(ways, dtype=np.int64)
        return (
            np.ascontiguousarray(chosen[:, :, :shots]).reshape(tasks, ways * shots, -1),
            np.tile(np.repeat(labels, shots), (tasks, 1)),
            np.ascontiguousarray(chosen[:, :, shots:]).reshape(tasks, ways * query, -1),
            np.tile(np.repeat(labels, query), (tasks, 1)),
        )

    def task_losses_sum(self, outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(outputs.flatten(0, -2), targets.flatten(), reduction="sum")

    def examples_per_loss(self, targets: torch.Tensor) -> int:
        return targets.shape[-1]


def make_task(name: str, point: dict[str, Any]) -> TaskDistribution:
    """The distribution registered as `name` in `notebase.experiments.registry.TASKS`."""
    return task_class(name)(point)
