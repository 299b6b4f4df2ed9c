"""How many processes a run uses and how they are started: one runner process, or torch's
own launcher (``python -m torch.distributed.run``, i.e. torchrun) starting one runner per rank.

``--nproc N`` on one machine is ``torchrun --standalone --nproc_per_node N``; across machines
``--nnodes``, ``--node-rank`` and ``--rdzv-endpoint`` are passed on as torchrun's own flags
(every node runs the same command with its own rank). The runner ranks then join the group
torchrun describes (`notebase.experiments.distributed.init_from_environment`): gloo on CPU,
NCCL on CUDA with one GPU per rank. Only rank 0 prints events and writes the record, so the
process that started the run reads torchrun's stdout exactly as it reads one runner's.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Launch:
    """Processes per machine and, for several machines, where they meet."""

    nproc: int = 1
    """Runner processes on this machine (ranks)."""
    nnodes: int = 1
    """Machines taking part."""
    node_rank: int = 0
    """This machine's place among them."""
    rdzv_endpoint: str | None = None
    """``host:port`` where the machines meet (needed when ``nnodes > 1``)."""

    @property
    def distributed(self) -> bool:
        return self.nproc > 1 or self.nnodes > 1

    def command(self) -> list[str]:
        """The command line that starts the runner module (arguments follow it)."""
        if not self.distributed:
            return [sys.executable, "-m", "notebase.experiments.runner"]
        command = [sys.executable, "-m", "torch.distributed.run",
                   f"--nproc_per_node={self.nproc}"]
        if self.nnodes > 1:
            if not self.rdzv_endpoint:
                from notebase.errors import UserError

                raise UserError("--nnodes > 1 needs --rdzv-endpoint HOST:PORT")
            command += [f"--nnodes={self.nnodes}", f"--node_rank={self.node_rank}",
                        "--rdzv_backend=c10d", f"--rdzv_endpoint={self.rdzv_endpoint}"]
        else:
            command.append("--standalone")
        return command + ["-m", "notebase.experiments.runner"]


ONE = Launch()
"""One runner process (the default)."""
