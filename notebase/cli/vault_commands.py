"""``notebase show | tags | questions | check``: read the vault, print text or ``--json``.

JSON shapes are a contract (scripts and tests rely on them): paths are vault-relative with
``/``. Fields may be added, never renamed or removed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from notebase.cli.output import print_json, print_text
from notebase.core.note import Footnote, Link, Note, Question

if TYPE_CHECKING:
    from notebase.core.vault import Vault


def load_vault(args: argparse.Namespace) -> Vault:
    # Imported here, not at the top: the parser stack (markdown-it, YAML) costs ~45 ms that
    # every other command (`search`, `experiments`) would pay at start-up.
    from notebase.core.vault import Vault

    return Vault.load(args.vault)


def register(subparsers: argparse._SubParsersAction) -> None:
    show = subparsers.add_parser(
        "show",
        help="one note: tags, links, backlinks, footnotes, questions",
        description="Show one note. NOTE is a path relative to the vault (with or without "
        ".md), a file name, a title or an alias.",
    )
    show.add_argument("note", metavar="NOTE")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(handler=run_show)

    tags = subparsers.add_parser(
        "tags", help="every tag with its number of notes (nested tags count for parents)"
    )
    tags.add_argument("--json", action="store_true", help="machine-readable output")
    tags.set_defaults(handler=run_tags)

    questions = subparsers.add_parser(
        "questions", help="the questions listed under question headings, in every note"
    )
    questions.add_argument("--open", action="store_true", help="only unanswered questions")
    questions.add_argument("--json", action="store_true", help="machine-readable output")
    questions.set_defaults(handler=run_questions)

    check = subparsers.add_parser(
        "check",
        help="broken links, missing attachments, footnote and citation problems, unreadable notes",
        description="Report problems in the vault. Exits 0 when the vault could be read, "
        "whatever it finds (use --strict to exit 1 on findings).",
    )
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.add_argument("--strict", action="store_true", help="exit 1 when anything is reported")
    check.set_defaults(handler=run_check)


# ---- JSON shapes ------------------------------------------------------------------------


def link_json(link: Link) -> dict:
    return {
        "target": link.target,
        "heading": link.heading,
        "label": link.label,
        "embed": link.embed,
        "resolved": link.resolved,
        "kind": link.kind,
        "line": link.line,
        "is_attachment": link.is_attachment,
        "experiment": link.experiment,
    }


def footnote_json(footnote: Footnote) -> dict:
    citation = footnote.citation
    return {
        "label": footnote.label,
        "text": footnote.text,
        "references": footnote.references,
        "citation": {
            "authors": list(citation.authors),
            "title": citation.title,
            "venue": citation.venue,
            "year": citation.year,
        },
        "line": footnote.line,
    }


def question_json(question: Question, status: str | None = None) -> dict:
    """``status``: the question's status with ``stale`` derived (`answers.question_status`)."""
    return {
        "id": question.id,
        "number": question.number,
        "text": question.text,
        "experiments": list(question.experiments),
        "status": status or question.status,
        "answered_by": question.answered_by,
        "summary": question.summary,
        "line": question.line,
    }


def note_json(vault: Vault, note: Note, experiments_dir: Path | None = None) -> dict:
    from notebase.experiments.answers import claim_rows, question_status, stale_runs

    stale = stale_runs(vault, experiments_dir) if experiments_dir is not None else set()
    claims_cache: dict = {}
    return {
        "path": note.path,
        "title": note.title,
        "tags": list(note.tags),
        "aliases": list(note.aliases),
        "created": note.created,
        "experiments": list(note.experiments),
        "links": [link_json(link) for link in note.links],
        "backlinks": vault.backlinks(note.path),
        "footnotes": [footnote_json(f) for f in note.footnotes],
        "undefined_footnotes": list(note.undefined_footnotes),
        "unused_footnotes": list(note.unused_footnotes),
        "citekeys": [
            {"key": key, "line": line, "locator": locator, "bracketed": bracketed}
            for key, line, locator, bracketed in note.citekeys
        ],
        "questions": [question_json(q, question_status(note, q, stale)) for q in note.questions],
        "results_blocks": [
            {
                "experiment": block.experiment,
                "run": block.run_id,
                "spec": block.spec_hash,
                "answers": list(block.answers),
                "status": (
                    "stale" if (note.path, block.run_id) in stale else block.status
                ),
                "summary": block.summary,
                "claims": (
                    claim_rows(note, block, experiments_dir, claims_cache)
                    if experiments_dir is not None
                    else [{"id": i, "verdict": v, "text": None, "sentences": []}
                          for i, v in block.claims]
                ),
                "start_line": block.start_line,
                "end_line": block.end_line,
            }
            for block in note.results_blocks
        ],
        "valid": note.valid,
        "errors": list(note.errors),
    }


# ---- commands ---------------------------------------------------------------------------


def run_show(args: argparse.Namespace) -> int:
    vault = load_vault(args)
    note = vault.find(args.note)
    experiments = Path(args.experiments)
    if args.json:
        print_json(note_json(vault, note, experiments))
        return 0
    from notebase.experiments.answers import claim_rows, question_status, stale_runs

    stale = stale_runs(vault, experiments)
    lines = [f"{note.title}  ({note.path})"]
    if not note.valid:
        lines += [f"  ! {error}" for error in note.errors]
    lines.append(f"tags: {', '.join('#' + t for t in note.tags) or '-'}")
    lines.append(f"aliases: {', '.join(note.aliases) or '-'}")
    lines.append(f"created: {note.created or '-'}")
    if note.experiments:
        lines.append(f"experiments: {', '.join(note.experiments)}")
    if note.links:
        lines.append(f"links ({len(note.links)}):")
        for link in note.links:
            lines.append(f"  {link.line:>4}  {_link_text(link)}  -> {_link_outcome(link)}")
    backlinks = vault.backlinks(note.path)
    if backlinks:
        lines.append(f"backlinks ({len(backlinks)}):")
        lines += [f"  <- {path}" for path in backlinks]
    if note.footnotes or note.undefined_footnotes:
        lines.append("footnotes:")
        for footnote in note.footnotes:
            first_line = footnote.text.split("\n", 1)[0]
            refs = f"{footnote.references} ref" + ("s" if footnote.references != 1 else "")
            lines.append(f"  [^{footnote.label}] ({refs}) {first_line}")
        for label in note.undefined_footnotes:
            lines.append(f"  [^{label}] referenced but never defined")
    if note.citekeys:
        lines.append("pandoc citations (resolved by `notebase citations`):")
        for key, line, locator, _bracketed in note.citekeys:
            lines.append(f"  {line:>4}  @{key}" + (f", {locator}" if locator else ""))
    if note.questions:
        lines.append("questions:")
        for question in note.questions:
            lines += _question_lines(question, question_status(note, question, stale))
    claims = [row for block in note.results_blocks for row in claim_rows(note, block, experiments)]
    if claims:
        lines.append("claims:")
        for row in claims:
            lines.append(f"  [{row['verdict']}] {row['id']}: {row['text'] or '-'}")
            lines += [f"    {s['line']:>4}  {s['text']}" for s in row["sentences"]]
    for line in lines:
        print_text(line)
    return 0


def run_tags(args: argparse.Namespace) -> int:
    vault = load_vault(args)
    counts = vault.tag_counts()
    if args.json:
        print_json([{"tag": tag, "count": count} for tag, count in counts])
        return 0
    if not counts:
        print("no tags")
        return 0
    width = len(str(counts[0][1]))
    for tag, count in counts:
        print_text(f"{count:>{width}}  #{tag}")
    return 0


def run_questions(args: argparse.Namespace) -> int:
    from notebase.experiments.answers import question_status, stale_runs

    vault = load_vault(args)
    stale = stale_runs(vault, Path(args.experiments))
    pairs = [(note, q, question_status(note, q, stale)) for note, q in vault.questions()]
    if args.open:  # everything not answered by a current, conclusive run
        pairs = [pair for pair in pairs if pair[2] != "answered"]
    if args.json:
        print_json([{"note": note.path, **question_json(q, status)} for note, q, status in pairs])
        return 0
    if not pairs:
        print("no open questions" if args.open else "no questions")
        return 0
    current = None
    for note, question, status in pairs:
        if note.path != current:
            if current is not None:
                print()
            print_text(f"{note.title}  ({note.path})")
            current = note.path
        for line in _question_lines(question, status):
            print_text(line)
    return 0


def run_check(args: argparse.Namespace) -> int:
    vault = load_vault(args)
    report = vault.check()
    # Stale results need the experiment specs, which the core does not know about.
    from notebase.experiments.note_runs import stale_results

    report["stale_results"] = stale_results(vault, args.experiments)
    # Citations are grouped across the vault only when asked for: here, `citations`, the app.
    from notebase.cli.citation_commands import CHECK_SUMMARY, citation_check_lines
    from notebase.core.works import vault_works

    works = vault_works(vault.root, vault.config, vault.notes.values())
    report.update(works.check())
    findings = sum(len(v) for v in report.values() if isinstance(v, list))
    if args.json:
        print_json(report)
    else:
        for item in report["invalid_notes"]:
            print_text(f"{item['note']}: invalid note: {item['error']}")
        for item in report["broken_links"]:
            print_text(f"{item['note']}:{item['line']}: broken link to {item['target']!r}")
        for item in report["missing_attachments"]:
            print_text(f"{item['note']}:{item['line']}: missing attachment {item['target']!r}")
        for item in report["undefined_footnotes"]:
            print_text(f"{item['note']}: footnote [^{item['label']}] is referenced but not defined")
        for item in report["unused_footnotes"]:
            print_text(
                f"{item['note']}: footnote [^{item['label']}] is defined but never referenced"
            )
        for item in report["results_marker_problems"]:
            print_text(f"{item['note']}:{item['line']}: {item['problem']}")
        for item in report["stale_results"]:
            print_text(
                f"{item['note']}: results of {item['experiment']!r} (run {item['run_id']}) "
                f"are stale: {item['reason']}"
            )
        for line in citation_check_lines(works):
            print_text(line)
        summary = ", ".join(
            f"{len(report[key])} {label}"
            for key, label in (
                ("invalid_notes", "invalid notes"),
                ("broken_links", "broken links"),
                ("missing_attachments", "missing attachments"),
                ("undefined_footnotes", "undefined footnotes"),
                ("unused_footnotes", "unused footnotes"),
                ("results_marker_problems", "results marker problems"),
                ("stale_results", "stale results"),
                *CHECK_SUMMARY,
            )
        )
        print_text(f"{report['notes']} notes: {summary}")
    return 1 if args.strict and findings else 0


# ---- text helpers -----------------------------------------------------------------------


def _link_text(link: Link) -> str:
    inner = link.target + (f"#{link.heading}" if link.heading else "")
    if link.kind == "markdown":
        return f"{'!' if link.embed else ''}[{link.label or ''}]({inner})"
    label = f"|{link.label}" if link.label else ""
    return f"{'!' if link.embed else ''}[[{inner}{label}]]"


def _link_outcome(link: Link) -> str:
    if link.experiment:
        return f"experiment {link.experiment}"
    if link.resolved:
        return link.resolved
    return "missing attachment" if link.is_attachment else "broken"


def _question_lines(question: Question, status: str) -> list[str]:
    """The question, its status and run; then its run's one-line answer, when there is one."""
    text = f"  q{question.number} [{status}] {question.text}"
    if question.experiments:
        text += f"  (experiments: {', '.join(question.experiments)})"
    if question.answered_by:
        text += f"  (run {question.answered_by})"
    return [text, f"      -> {question.summary}"] if question.summary else [text]
