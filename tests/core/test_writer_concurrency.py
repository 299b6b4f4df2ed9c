"""Issue 11, defect 2: a line appended to the note while the writer works is never lost.

An appender process opens the note by path, appends one numbered line and closes it, at random
intervals (seeded), while the writer writes results blocks into the same note over and over.
Every appended line must be in the note at the end, once and in order, and the note must read
back as the original note plus those lines plus at most one results block.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time

import pytest
from results_block_helpers import delete_block_lines, korean_block  # in tests/

import notebase.core.file_replace as file_replace
from notebase.core.note_writer import write_block

NOTE = "# 동시 편집\n\n## 질문\n\n1. 추가한 줄은 남는가?\n\n## 출처\n\n- 없음\n"
TRIALS = 8
APPENDS = 60


def _append_lines(path: str, count: int, seed: int, ready) -> None:
    rng = random.Random(seed)
    ready.set()
    for index in range(count):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, f"추가한 줄 {index}\n".encode())
        finally:
            os.close(fd)
        # A script's pace: a burst now and then, otherwise a line every 0.3-5 ms.
        if rng.random() < 0.85:
            time.sleep(rng.uniform(0.0003, 0.005))


def _one_trial(tmp_path, seed: int) -> tuple[int, int]:
    folder = tmp_path / f"trial-{seed}"
    folder.mkdir()
    note = folder / "노트.md"
    note.write_bytes(NOTE.encode())
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    appender = context.Process(target=_append_lines, args=(str(note), APPENDS, seed, ready))
    appender.start()
    ready.wait()
    written = attempts = 0
    while appender.is_alive():
        attempts += 1
        outcome = write_block(note, lambda data, n=attempts: korean_block(run=f"r{n}"))
        written += outcome.status == "written"
    appender.join()
    assert appender.exitcode == 0
    data = note.read_bytes()
    if written:
        data = delete_block_lines(data, "meta-cost")
    appended = "".join(f"추가한 줄 {index}\n" for index in range(APPENDS))
    assert data == (NOTE + appended).encode(), f"seed {seed}: lines lost or doubled"
    assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]  # no temp left
    return written, attempts


@pytest.mark.parametrize("rename", ["exchange", "replace"])
def test_lines_appended_during_write_back_are_never_lost(tmp_path, monkeypatch, rename):
    """``exchange``: Linux's renameat2(RENAME_EXCHANGE), undone when the old file changed;
    ``replace``: plain os.replace where that is missing, the old content written back."""
    if rename == "replace":
        real = file_replace._rename2
        monkeypatch.setattr(
            file_replace,
            "_rename2",
            lambda fd, old, new, flags: (
                flags != file_replace._RENAME_EXCHANGE and real(fd, old, new, flags)
            ),
        )
    rng = random.Random(11)
    totals = [0, 0]
    for _ in range(TRIALS):
        written, attempts = _one_trial(tmp_path, rng.randrange(2**32))
        totals[0] += written
        totals[1] += attempts
    # The writer is not starved either: most writes land in the note, not the sidecar.
    assert totals[0] >= totals[1] // 2, totals
