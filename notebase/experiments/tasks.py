"""Task distributions for meta-learning: sinusoid regression and few-shot digits classification.

Every task is drawn from its own random generator, seeded from (seed, split, meta-iteration,
global task index). Task ``i`` of meta-iteration ``t`` is therefore the same whichever process
samples it and whatever else is sampled beside it, so a meta-batch split across processes
reproduces the single-process run exactly.

Data is sampled on the CPU and then moved to the device, so CPU and CUDA runs see the same tasks.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from notebase.experiments.registry import task_class

SPLITS = ("train", "eval")
"""``train`` tasks feed meta-training; ``eval`` tasks are the held-out ones."""


def task_seed(seed: int, split: str, iteration: int, index: int) -> int:
    """A 63-bit generator seed for one task, from its global coordinates only."""
    text = f"notebase-task:{seed}:{split}:{iteration}:{index}"
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


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
    # per call, which matters inside the inner loop. Written with broadcasting matmuls, they
    # also take per-task parameters and inputs with a leading task dimension
    # (`MAML.inner_steps_of_all_tasks`) without `vmap`.
    @staticmethod
    def functional_body(params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        hidden = torch.relu(x @ params["body.0.weight"].mT + params["body.0.bias"].unsqueeze(-2))
        return torch.relu(hidden @ params["body.2.weight"].mT + params["body.2.bias"].unsqueeze(-2))

    @staticmethod
    def functional_head(params: dict[str, torch.Tensor], features: torch.Tensor) -> torch.Tensor:
        return features @ params["head.weight"].mT + params["head.bias"].unsqueeze(-2)

    @classmethod
    def functional_forward(cls, params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        return cls.functional_head(params, cls.functional_body(params, x))


class TaskDistribution:
    """Common interface: make the model, sample tasks, score predictions."""

    name: str = ""
    classification: bool = False
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

    def __init__(self, point: dict[str, Any]):
        self.point = point

    def make_model(self) -> MetaModel:
        raise NotImplementedError

    def sample_task(self, generator: torch.Generator, split: str) -> tuple[torch.Tensor, ...]:
        """(support_x, support_y, query_x, query_y) of one task."""
        raise NotImplementedError

    def sample(self, split: str, iteration: int, indices: Iterable[int]) -> TaskBatch:
        """The tasks with these global indices of this meta-iteration, stacked, on the CPU."""
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}")
        seed = self.point["seed"]
        generator = torch.Generator()
        tasks = []
        for index in indices:
            generator.manual_seed(task_seed(seed, split, iteration, index))
            tasks.append(self.sample_task(generator, split))
        return TaskBatch(*(torch.stack(parts) for parts in zip(*tasks, strict=True)))

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

    def sample_task(self, generator: torch.Generator, split: str) -> tuple[torch.Tensor, ...]:
        shots, query = self.point["shots"], self.point["query"]
        amplitude = 0.1 + 4.9 * torch.rand((), generator=generator)
        phase = math.pi * torch.rand((), generator=generator)
        x = -5.0 + 10.0 * torch.rand(shots + query, 1, generator=generator)
        y = amplitude * torch.sin(x - phase)
        return x[:shots], y[:shots], x[shots:], y[shots:]


@lru_cache(maxsize=1)
def _digits_by_class() -> list[torch.Tensor]:
    """scikit-learn's bundled 8x8 digits (no download), pixels scaled to [0, 1], per class."""
    from sklearn.datasets import load_digits  # heavy import, only for this task

    digits = load_digits()
    images = torch.tensor(digits.data, dtype=torch.float32) / 16.0
    labels = torch.tensor(digits.target)
    return [images[labels == c] for c in range(10)]


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

    def sample_task(self, generator: torch.Generator, split: str) -> tuple[torch.Tensor, ...]:
        by_class = _digits_by_class()
        ways, shots, query = self.point["ways"], self.point["shots"], self.point["query"]
        pool = self.CLASSES[split]
        chosen = torch.randperm(len(pool), generator=generator)[:ways]
        support_x, query_x = [], []
        for class_index in chosen.tolist():
            images = by_class[pool[class_index]]
            picked = images[torch.randperm(len(images), generator=generator)[: shots + query]]
            support_x.append(picked[:shots])
            query_x.append(picked[shots:])
        labels = torch.arange(ways)
        return (
            torch.cat(support_x),
            labels.repeat_interleave(shots),
            torch.cat(query_x),
            labels.repeat_interleave(query),
        )


def make_task(name: str, point: dict[str, Any]) -> TaskDistribution:
    """The distribution registered as `name` in `notebase.experiments.registry.TASKS`."""
    return task_class(name)(point)
