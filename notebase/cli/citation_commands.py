"""``notebase citations``: every work the vault cites, who cites it, and what disagrees.

Text for people, ``--json`` for scripts (the shape is `notebase.core.work_json.work_json`,
a contract), ``--bibtex`` for a BibTeX file of every work (the bibliography's entry as
written where the work has one, else an entry made from its citations). ``--conflicts``
keeps the works whose citations conflict or misattribute them. Problems reading the
bibliography are one line each on stderr; the works are still listed.

The citation part of ``notebase check`` is `citation_check_lines` (wording) over
`Works.check` (JSON).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from notebase.cli.output import print_json, print_text

if TYPE_CHECKING:
    from notebase.core.vault import Vault
    from notebase.core.works import Work, Works


def register(subparsers: argparse._SubParsersAction) -> None:
    citations = subparsers.add_parser(
        "citations",
        help="every cited work: who cites it, conflicting and misattributed citations",
        description="Group the footnote citations and [@key] citations of every note into "
        "works, matched against the vault's BibTeX file (references.bib, or `bibliography` "
        "in .notebase.toml) when there is one.",
    )
    citations.add_argument(
        "--conflicts",
        action="store_true",
        help="only works whose citations disagree or contradict the bibliography",
    )
    output = citations.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="machine-readable output")
    output.add_argument(
        "--bibtex", action="store_true", help="print a BibTeX file of every work instead"
    )
    citations.set_defaults(handler=run_citations)


def load_works(args: argparse.Namespace, vault: Vault | None = None) -> Works:
    """The vault's works; problems reading its bibliography go to stderr, one line each."""
    from notebase.cli.vault_commands import load_vault
    from notebase.core.works import vault_works

    vault = vault or load_vault(args)
    works = vault_works(vault.root, vault.config, vault.notes.values())
    for problem in works.problems:
        print_text(f"notebase: {problem}", file=sys.stderr)
    return works


def run_citations(args: argparse.Namespace) -> int:
    from notebase.core.work_json import work_json

    works = load_works(args)
    shown = [w for w in works.works if not args.conflicts or w.conflicts or w.misattributions]
    if args.json:
        print_json([work_json(work) for work in shown])
        return 0
    if args.bibtex:
        _print_bibtex(shown)
        return 0
    bib_name = works.bibliography.path if works.bibliography else None
    for work in shown:
        for line in work_lines(work, bib_name):
            print_text(line)
    cited = [w for w in works.works if w.cited_by]
    notes = {c.note for w in cited for c in w.cited_by}
    uncited = len(works.works) - len(cited)
    summary = f"{len(cited)} works cited in {len(notes)} notes"
    conflicts = sum(len(w.conflicts) for w in works.works)
    wrong = sum(len(w.misattributions) for w in works.works)
    summary += f"; {conflicts} conflicts, {wrong} misattributions"
    if bib_name:
        summary += f"; {uncited} entries of {bib_name} cited nowhere"
    if works.unknown_keys:
        summary += f"; {len(works.unknown_keys)} unknown citation keys (see `notebase check`)"
    print_text(summary)
    return 0


def work_lines(work: Work, bib_name: str | None) -> list[str]:
    """A work as text: its key and reference, who cites it, what disagrees."""
    from notebase.core.work_report import conflict_text, misattribution_text

    authors = ", ".join(work.authors) or "?"
    reference = f"{authors} ({work.year or 'n.d.'}). {work.title or '(no title)'}"
    if work.venue:
        reference += f". {work.venue}"
    mark = f"  [{bib_name}]" if work.in_bibliography else ""
    lines = [f"{work.key}  {reference}{mark}"]
    if not work.cited_by:
        lines.append("    cited nowhere")
    for citing in work.cited_by:
        label = citing.label if citing.label.startswith("@") else f"[^{citing.label}]"
        lines.append(f"    {citing.note}:{citing.line} {label}")
    for conflict in work.conflicts:
        lines.append(f"  ! conflict, {conflict_text(conflict, bib_name)}")
    for found in work.misattributions:
        where = found.where
        lines.append(
            f"  ! misattributed in {where.note}:{where.line} [^{where.label}]: "
            + misattribution_text(found, work.key, bib_name or "the bibliography")
        )
    return lines


def _print_bibtex(works: list[Work]) -> None:
    from notebase.core.bibliography import bibtex_entry

    entries = []
    for work in works:
        if work.entry is not None and work.entry.raw.strip():
            entries.append(work.entry.raw.strip())
        else:
            entries.append(bibtex_entry(work.key, work.authors, work.title, work.venue, work.year))
    # Line by line through print_text like all text (a control character in the file is
    # shown escaped); a tab is only BibTeX's whitespace and becomes spaces.
    for line in "\n\n".join(entries).split("\n"):
        print_text(line.replace("\t", "    ").rstrip("\r"))


def citation_check_lines(works: Works) -> list[str]:
    """The text ``notebase check`` prints for the citation part of its report
    (`Works.check`), in the one wording of `notebase.core.work_report`."""
    from notebase.core.work_report import FIELD_WORDS, misattribution_text, versions_text

    bib_name = works.bibliography.path if works.bibliography else "the bibliography"
    lines = list(works.problems)
    for work in works.works:
        for found in work.misattributions:
            where = found.where
            lines.append(
                f"{where.note}:{where.line}: [^{where.label}] misattributes {work.key}: "
                + misattribution_text(found, work.key, bib_name)
            )
        if work.entry is None:
            for conflict in work.conflicts:
                what = FIELD_WORDS[conflict.field]
                lines.append(
                    f"citations of {work.key} disagree on the {what}: {versions_text(conflict)}"
                )
    for citing in works.unknown_keys:
        missing = "" if works.bibliography else " (no bibliography)"
        lines.append(f"{citing.note}:{citing.line}: unknown citation key {citing.label}{missing}")
    return lines


CHECK_SUMMARY = (
    ("citation_conflicts", "citation conflicts"),
    ("misattributions", "misattributions"),
    ("unknown_citation_keys", "unknown citation keys"),
    ("bibliography_problems", "bibliography problems"),
)
"""``(report key, words)`` of the citation counts in ``check``'s summary line."""
