"""Meta-learning algorithms on `torch.func`, one module each; `ALGORITHMS` maps spec names.

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

ALGORITHMS: dict[str, type[MetaAlgorithm]] = {
    "maml": MAML,
    "fomaml": FOMAML,
    "reptile": Reptile,
    "imaml": IMAML,
    "anil": ANIL,
}
"""Spec name -> algorithm class (the names match `notebase.experiments.spec.ALGORITHMS`)."""

__all__ = ["ALGORITHMS", "MetaAlgorithm", "MAML", "FOMAML", "Reptile", "IMAML", "ANIL"]
