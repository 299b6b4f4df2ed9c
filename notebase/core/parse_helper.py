"""A second process that parses part of a large cold vault load.

Parsing (markdown-it, YAML) is pure Python, one core: a cold load of 10,000 notes is ~3 s
of it. With ``MIN_NOTES`` or more notes to parse on a machine with two or more cores,
``Vault.load`` hands the second half to ``python -m notebase.core.parse_helper`` and
parses the first half itself meanwhile. The helper answers with the notes as the notes
cache stores them (``cache.encode_note``: plain tuples, read back without allowing any
class), so a note parsed there is exactly the note a warm load gives.

Job and answer are pickles in temporary files (no pipe to fill). A helper that cannot
start, crashes or answers garbage costs only time: the caller parses those notes itself;
so does a note the helper could not encode.
"""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

from notebase.config import VaultConfig
from notebase.core import cache as note_cache
from notebase.core.note import Note
from notebase.core.vault_files import NoteFile, read_note_file

MIN_NOTES = 2000
"""Fewer notes to parse are parsed in one process: starting the helper (a Python
process importing the parser) costs ~0.25 s."""


def wanted(note_count: int) -> bool:
    """Whether a load that must parse ``note_count`` notes should start a helper."""
    return note_count >= MIN_NOTES and (os.cpu_count() or 1) >= 2


class Helper:
    """A running helper parsing ``files``; ``result()`` waits for it."""

    def __init__(self, files: list[NoteFile], config: VaultConfig) -> None:
        self.files = files
        self._answer = None
        self._process = None
        try:
            self._answer = tempfile.TemporaryFile()
            with tempfile.TemporaryFile() as job:
                pickle.dump((config, [(f.path, str(f.abs_path)) for f in files]), job)
                job.seek(0)
                package_root = str(Path(__file__).resolve().parents[2])
                env = dict(os.environ)
                env["PYTHONPATH"] = os.pathsep.join(
                    filter(None, [package_root, env.get("PYTHONPATH")])
                )
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "notebase.core.parse_helper"],
                    stdin=job,
                    stdout=self._answer,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
        except OSError:  # no process can be started here (limits, no interpreter)
            if self._answer is not None:
                self._answer.close()

    def result(self, config: VaultConfig) -> dict[str, Note]:
        """The parsed note of each file (path -> note), every one: those the helper did not
        answer for are parsed here."""
        notes: dict[str, Note] = {}
        try:
            if self._process is not None and self._process.wait() == 0:
                self._answer.seek(0)
                answered = note_cache._PlainUnpickler(io.BytesIO(self._answer.read())).load()
                for path, encoded in answered.items():
                    if encoded is not None:
                        notes[path] = note_cache.decode_note(encoded)
        except Exception:  # a garbled answer: parse everything here
            notes = {}
        finally:
            self._close_answer()
        for file in self.files:
            if file.path not in notes:
                notes[file.path] = read_note_file(file, config)
        return notes

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._close_answer()

    def _close_answer(self) -> None:
        if self._answer is not None:
            self._answer.close()


def _encoded(note: Note) -> list | None:
    try:
        return note_cache.encode_note(note)
    except (RecursionError, ValueError, TypeError):
        return None


def main() -> int:
    config, files = pickle.load(sys.stdin.buffer)
    answer = {
        path: _encoded(read_note_file(NoteFile(path, Path(abs_path), 0, 0), config))
        for path, abs_path in files
    }
    pickle.dump(answer, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
