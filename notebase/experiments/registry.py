"""The one registry of what a spec may name: task distributions and algorithms.

Each entry maps a spec name to a ``"module:Class"`` reference. The spec validator reads the
names without importing anything (so listing specs stays torch-free and fast); the runner,
`notebase.experiments.tasks` and `notebase.experiments.algorithms` resolve the classes through
`task_class` / `algorithm_class`. Adding a task or an algorithm is one line here.
"""

from __future__ import annotations

import importlib
from typing import Any

TASKS: dict[str, str] = {
    "sinusoid": "notebase.experiments.tasks:Sinusoid",
    "digits": "notebase.experiments.tasks:Digits",
}
"""Spec name of a task distribution -> ``"module:Class"`` of its `TaskDistribution`."""

ALGORITHMS: dict[str, str] = {
    "maml": "notebase.experiments.algorithms.maml:MAML",
    "fomaml": "notebase.experiments.algorithms.fomaml:FOMAML",
    "reptile": "notebase.experiments.algorithms.reptile:Reptile",
    "imaml": "notebase.experiments.algorithms.imaml:IMAML",
    "anil": "notebase.experiments.algorithms.anil:ANIL",
}
"""Spec name of an algorithm -> ``"module:Class"`` of its `MetaAlgorithm`."""


def _load(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


def task_class(name: str) -> Any:
    """The `TaskDistribution` class registered as `name` (imports torch); KeyError if none."""
    return _load(TASKS[name])


def algorithm_class(name: str) -> Any:
    """The `MetaAlgorithm` class registered as `name` (imports torch); KeyError if none."""
    return _load(ALGORITHMS[name])
