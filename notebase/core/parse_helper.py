"""A second process that parses part of a large cold vault load.

Parsing (markdown-it, YAML) is pure Python, one core: a cold load of 10,000 notes is ~3 s
of it. With ``MIN_NOTES`` or more notes to parse on a machine with two or more cores,
``Vault.load`` hands the second half to ``python -m notebase.core.parse_helper`` and
parses the first half itself meanwhile. The helper answers with the notes as the notes
cache stores them (``cache.encode_note``: plain tuples, read back without allowing any
class), so a note parsed there is exactly the note a warm load gives.

Starting it and passing job and answer is ``core/helper_process.py``. A helper that cannot
start, crashes or answers garbage costs only time: the caller parses those notes itself;
so does a note the helper could not encode.
"""

from __future__ import annotations

import sys
from pathlib import Path

from notebase.config import VaultConfig
from notebase.core import cache as note_cache
from notebase.core import helper_process
from notebase.core.note import Note
from notebase.core.vault_files import NoteFile, read_note_file

MIN_NOTES = 2000
"""Fewer notes to parse are parsed in one process: starting the helper (a Python
process importing the parser) costs ~0.25 s."""


def wanted(note_count: int) -> bool:
    """Whether a load that must parse ``note_count`` notes should start a helper."""
    return helper_process.wanted(note_count, MIN_NOTES)


class Helper:
    """A running helper parsing ``files``; ``result()`` waits for it."""

    def __init__(self, files: list[NoteFile], config: VaultConfig) -> None:
        self.files = files
        self._process = helper_process.HelperProcess(
            "notebase.core.parse_helper", (config, [(f.path, str(f.abs_path)) for f in files])
        )

    def result(self, config: VaultConfig) -> dict[str, Note]:
        """The parsed note of each file (path -> note), every one: those the helper did not
        answer for are parsed here."""
        notes: dict[str, Note] = {}
        try:
            answer = self._process.answer()
            if answer is not None:
                answered = note_cache.load_plain(answer)
                for path, encoded in answered.items():
                    if encoded is not None:
                        notes[path] = note_cache.decode_note(encoded)
        except Exception:  # a garbled answer: parse everything here
            notes = {}
        for file in self.files:
            if file.path not in notes:
                notes[file.path] = read_note_file(file, config)
        return notes

    def stop(self) -> None:
        self._process.stop()


def _encoded(note: Note) -> list | None:
    try:
        return note_cache.encode_note(note)
    except (RecursionError, ValueError, TypeError):
        return None


def _parse(job: tuple) -> dict[str, list | None]:
    config, files = job
    return {
        path: _encoded(read_note_file(NoteFile(path, Path(abs_path), 0, 0), config))
        for path, abs_path in files
    }


def main() -> int:
    return helper_process.serve(_parse)


if __name__ == "__main__":
    sys.exit(main())
