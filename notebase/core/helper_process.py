"""The protocol of a helper process: a second Python process that takes part of a large job
(``core/parse_helper.py``: parsing a cold load; ``index/build_helper.py``: indexing a build).

The caller starts ``python -m <module>`` with the job pickled in a temporary file as its
stdin and its stdout going to another temporary file (no pipe to fill), does its own part
meanwhile, then reads the answer. The helper's ``main`` is ``serve(work)``: unpickle the
job, pickle what ``work`` returns. A helper that cannot start, crashes or answers garbage
costs only time: the caller does that part itself.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def wanted(count: int, min_count: int) -> bool:
    """Whether a job of ``count`` items is worth a helper: ``min_count`` or more of them on a
    machine with two or more cores."""
    return count >= min_count and (os.cpu_count() or 1) >= 2


class HelperProcess:
    """``python -m module`` running on ``job``; ``answer()`` waits for it."""

    def __init__(self, module: str, job: Any) -> None:
        self._answer = None
        self._process = None
        try:
            self._answer = tempfile.TemporaryFile()
            with tempfile.TemporaryFile() as job_file:
                pickle.dump(job, job_file)
                job_file.seek(0)
                package_root = str(Path(__file__).resolve().parents[2])
                env = dict(os.environ)
                env["PYTHONPATH"] = os.pathsep.join(
                    filter(None, [package_root, env.get("PYTHONPATH")])
                )
                self._process = subprocess.Popen(
                    [sys.executable, "-m", module],
                    stdin=job_file,
                    stdout=self._answer,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
        except OSError:  # no process can be started here (limits, no interpreter)
            self._close_answer()

    def answer(self) -> bytes | None:
        """The helper's answer (pickled), once it has ended; None when it did not start or
        failed. Reading it may raise too (the caller treats that as a failure)."""
        try:
            if self._process is None or self._process.wait() != 0:
                return None
            self._answer.seek(0)
            return self._answer.read()
        finally:
            self._close_answer()

    def stop(self) -> None:
        """End the helper (the caller was interrupted or failed)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._close_answer()

    def _close_answer(self) -> None:
        if self._answer is not None:
            self._answer.close()


def serve(work: Callable[[Any], Any]) -> int:
    """The helper's side: the job from stdin, ``work(job)`` pickled to stdout."""
    answer = work(pickle.load(sys.stdin.buffer))
    pickle.dump(answer, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.flush()
    return 0
