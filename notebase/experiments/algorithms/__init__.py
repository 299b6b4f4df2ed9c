"""Meta-learning algorithms on `torch.func`, one module each.

`ALGORITHMS` maps spec names to classes; the names and references live in
`notebase.experiments.registry`, the one list of what a spec may name.

Every algorithm exposes ``meta_gradients(params, batch) -> (grads, mean query loss)`` over a
whole meta-batch (vmapped over tasks) and ``adapt(params, x, y, steps, lr)`` for one task.
"""

from __future__ import annotations

from notebase.experiments.algorithms.anil import ANIL
from notebase.experiments.algorithms.base import MetaAlgorithm
from notebase.experiments.algorithms.fomaml import FOMAML
from notebase.experiments.algorithms.imaml import IMAML
from notebase.experiments.algorithms.maml import MAML
from notebase.experiments.algorithms.reptile import Reptile
from notebase.experiments.registry import ALGORITHMS as _NAMES
from notebase.experiments.registry import algorithm_class

ALGORITHMS: dict[str, type[MetaAlgorithm]] = {name: algorithm_class(name) for name in _NAMES}
"""Spec name -> algorithm class, resolved from `notebase.experiments.registry.ALGORITHMS`."""

__all__ = ["ALGORITHMS", "MetaAlgorithm", "MAML", "FOMAML", "Reptile", "IMAML", "ANIL"]
