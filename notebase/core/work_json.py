"""The JSON shapes of works and of what is wrong with their citations: `work_json` (one work
in ``notebase citations --json``) and `check_report` (the citation part of ``notebase check
--json``). What they show is worked out in `notebase.core.work_report`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notebase.core.work_report import Conflict, Misattribution
    from notebase.core.works import Citing, Work, Works


def citing_json(citing: Citing) -> dict:
    return {"note": citing.note, "label": citing.label, "line": citing.line}


def work_json(work: Work) -> dict:
    """One work in the ``notebase citations --json`` shape (a contract: fields may be
    added, never renamed or removed)."""
    return {
        "key": work.key,
        "authors": list(work.authors),
        "title": work.title,
        "venue": work.venue,
        "year": work.year,
        "cited_by": [citing_json(c) for c in work.cited_by],
        "conflicts": [conflict_json(c) for c in work.conflicts],
        "misattributions": [misattribution_json(m) for m in work.misattributions],
        "in_bibliography": work.in_bibliography,
    }


def check_report(works: Works) -> dict:
    """The citation part of ``notebase check --json``: conflicts of works the bibliography
    does not have (for those it has, the misattributions say more), misattributions,
    unknown keys, and what went wrong reading the bibliography."""
    bib_name = works.bibliography.path if works.bibliography else None
    return {
        "citation_conflicts": [
            {"key": work.key, "title": work.title, **conflict_json(conflict)}
            for work in works.works
            if work.entry is None
            for conflict in work.conflicts
        ],
        "misattributions": [
            {"key": work.key, **misattribution_json(found)}
            for work in works.works
            for found in work.misattributions
        ],
        "unknown_citation_keys": [
            {"note": c.note, "key": c.label[1:], "line": c.line} for c in works.unknown_keys
        ],
        "bibliography_problems": [
            {"file": bib_name, "problem": problem} for problem in works.problems
        ],
    }


def conflict_json(conflict: Conflict) -> dict:
    return {
        "field": conflict.field,
        "values": [
            {
                "value": value.value,
                "notes": value.notes,
                "cited_by": [citing_json(c) for c in value.where],
                "bibliography": value.bibliography,
            }
            for value in conflict.values
        ],
    }


def misattribution_json(found: Misattribution) -> dict:
    where = found.where
    return {
        "note": where.note,
        "label": where.label,
        "line": where.line,
        "field": found.field,
        "cited": found.cited,
        "bibliography": found.bibliography,
    }
