"""A second process that indexes part of a large build: its own whoosh segment, added to
the index by the commit of the process that holds the write lock.

Reading, parsing and indexing are pure Python, one core each; on a machine with two or
more, a build of ``MIN_NOTES`` or more new notes hands its last part (at most one chunk
of ``writer.CHUNK_DOCUMENTS`` notes) to a helper started with ``python -m
notebase.index.build_helper``, and indexes the rest itself meanwhile. The helper writes
a segment without taking whoosh's lock (as whoosh's own multi-process writer does) and
returns it with the manifest entries of its notes; the caller writes its own segment's
files meanwhile but commits none while the helper runs (a commit deletes files of segments
it does not list), then commits the helper's along with its own.

Starting it and passing job and answer is ``core/helper_process.py``. Anything going
wrong in the helper (it cannot start, crashes, answers nothing usable) costs only time:
the caller indexes those notes itself.
"""

from __future__ import annotations

import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

from notebase.config import VaultConfig
from notebase.core import helper_process
from notebase.index.manifest import FileState
from notebase.index.scan import ScannedFile

MIN_NOTES = 2000
"""Builds smaller than this stay in one process: starting the helper (a Python process
importing whoosh and the parser) costs ~0.2 s."""


def wanted(note_count: int) -> bool:
    """Whether a build of ``note_count`` notes should start a helper."""
    return helper_process.wanted(note_count, MIN_NOTES)


@dataclass
class HelperResult:
    segments: list
    """whoosh segments the helper wrote, to list in the next commit."""
    states: dict[str, FileState]
    """Manifest entry of each note it indexed (a file it could not read is left out)."""


class Helper:
    """A running helper process; ``result()`` waits for it."""

    def __init__(self, folder: Path, config: VaultConfig, files: list[ScannedFile]) -> None:
        self.files = files
        self._process = helper_process.HelperProcess(
            "notebase.index.build_helper", (str(folder), config, [tuple(f) for f in files])
        )

    def result(self) -> HelperResult | None:
        """The helper's segments and manifest entries; None when it failed."""
        try:
            answer = self._process.answer()
            if answer is None:
                return None
            segments, states = pickle.loads(answer)
            return HelperResult(segments, {path: FileState(*s) for path, s in states.items()})
        except Exception:  # a garbled answer: the caller indexes these notes itself
            return None

    def stop(self) -> None:
        """End the helper (the caller was interrupted or failed)."""
        self._process.stop()


def _run(folder: str, config: VaultConfig, files: list[ScannedFile]):
    from whoosh import index as whoosh_index

    from notebase.index.fast_writer import MAX_POOL_POSTINGS, FastSegmentWriter
    from notebase.index.writer import WRITER_MEMORY_MB, read_document

    ix = whoosh_index.open_dir(folder)
    writer = FastSegmentWriter(ix, _lk=False, limitmb=WRITER_MEMORY_MB, compound=False)
    writer.pool.maxsize = MAX_POOL_POSTINGS
    states = {}
    for file in files:
        read = read_document(file, config)
        if read is None:
            continue
        document, state = read
        writer.add_document(**document)
        states[file.path] = tuple(state)
    # Not writer._finish(): its temporary folder is the caller's too (the caller removes it).
    return ([writer._finalize_segment()] if states else []), states


def _serve(job: tuple):
    folder, config, files = job
    return _run(folder, config, [ScannedFile(*f) for f in files])


def main() -> int:
    return helper_process.serve(_serve)


if __name__ == "__main__":
    sys.exit(main())
