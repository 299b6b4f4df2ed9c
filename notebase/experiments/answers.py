"""What a note's results blocks answer, as the CLI and the app show it: each question's
status with ``stale`` derived, and each block's claims with their verdicts, their text and
the note's sentences that point at them.

A question's status: ``open`` (no results block lists it in ``answers=``), ``answered``
(a full run's block lists it and that run found something conclusively: a finding or a
claim's verdict), ``inconclusive`` (listed, nothing conclusive), ``stale`` (listed by a block
whose spec changed, vanished or broke since its run: `note_runs.stale_results`). The parser
derives the first three from the markers; ``stale`` needs the specs, so it is derived here.

A note points a sentence at a claim by linking ``[[experiments/NAME#ID]]`` in it (``ID``
the claim's ``id`` in the spec): `claim_rows` pairs each claim with those lines.

Reads specs (no torch, no numpy unless a spec states claims); writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def stale_runs(vault, experiments_dir: Path) -> set[tuple[str, str | None]]:
    """``(note path, run id)`` of every results block whose spec changed since its run."""
    from notebase.errors import UserError
    from notebase.experiments.note_runs import stale_results

    if not Path(experiments_dir).is_dir() or not any(
        note.results_blocks for note in vault.notes.values()
    ):
        return set()  # no specs to compare with (a vault used without experiments)
    try:
        found = stale_results(vault, experiments_dir)
    except UserError:  # no experiments folder to compare with: nothing can be called stale
        return set()
    # A block without spec= (typed by hand, or from before specs were hashed) cannot be
    # compared: its questions keep their status (`check` still lists it).
    return {(item["note"], item["run_id"]) for item in found if item["spec_hash"]}


def question_status(note, question, stale: set[tuple[str, str | None]]) -> str:
    """The question's status with ``stale`` derived (see the module)."""
    if question.status != "open" and (note.path, question.answered_by) in stale:
        return "stale"
    return question.status


def _claim_texts(experiments_dir: Path, experiment: str, cache: dict) -> dict[str, str]:
    if experiment not in cache:
        from notebase.errors import SpecError
        from notebase.experiments.spec import find_spec

        try:
            spec = find_spec(experiments_dir, experiment)
            cache[experiment] = {c["id"]: c["text"] for c in spec.claims}
        except SpecError:
            cache[experiment] = {}
    return cache[experiment]


def claim_rows(
    note, block, experiments_dir: Path, cache: dict | None = None
) -> list[dict[str, Any]]:
    """``[{id, verdict, text, sentences: [{line, text}]}]`` for the block's claims: the text
    from the spec (None when it no longer states it), the note's lines that link
    ``[[experiments/NAME#ID]]``."""
    cache = {} if cache is None else cache
    texts = _claim_texts(Path(experiments_dir), block.experiment, cache)
    rows = []
    for claim_id, verdict in block.claims:
        sentences = []
        for link in note.links:
            if link.experiment == block.experiment and (link.heading or "") == claim_id:
                sentences.append({"line": link.line, "text": _line_at(note.body, link)})
        rows.append(
            {
                "id": claim_id,
                "verdict": verdict,
                "text": texts.get(claim_id),
                "sentences": sentences,
            }
        )
    return rows


def claim_marks(note, experiments_dir: Path) -> dict[int, list[tuple[str, str]]]:
    """File line -> ``(claim id, verdict)`` for each sentence that points at a claim."""
    cache: dict = {}
    marks: dict[int, list[tuple[str, str]]] = {}
    for block in note.results_blocks:
        for row in claim_rows(note, block, experiments_dir, cache):
            for sentence in row["sentences"]:
                marks.setdefault(sentence["line"], []).append((row["id"], row["verdict"]))
    return marks


def _line_at(body: str, link) -> str:
    """The body line the link stands on (empty when the parser could not place it)."""
    if not link.end:
        return ""
    start = body.rfind("\n", 0, link.start) + 1
    end = body.find("\n", link.start)
    return body[start : end if end >= 0 else len(body)].strip()
