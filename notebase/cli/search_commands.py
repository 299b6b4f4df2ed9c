"""``notebase index`` and ``notebase search``: the search index from the command line.

Both bring the index up to date first (only changed notes are read). Text output is for
people; ``--json`` prints exactly the documented objects and nothing else on stdout.
Notices (rebuilding a damaged index, waiting for another process) go to stderr.
"""

from __future__ import annotations

import argparse
import sys

from notebase.cli.output import print_json, print_text
from notebase.errors import UserError

PROGRESS_MIN_NOTES = 200
"""Draw a progress bar only when at least this many notes are (re)indexed."""


def register(subparsers) -> None:
    index = subparsers.add_parser(
        "index",
        help="bring the search index up to date (only changed notes are read)",
        description=(
            "Update the search index in <vault>/.notebase/index: index new and changed "
            "notes, drop deleted ones. Prints {notes, added, updated, removed, invalid, "
            "seconds}."
        ),
    )
    index.add_argument(
        "--rebuild", action="store_true", help="throw the index away and index every note"
    )
    index.add_argument("--json", action="store_true", help="print the counts as JSON")
    index.set_defaults(handler=run_index)

    search = subparsers.add_parser(
        "search",
        help="search notes by words, phrases and tags",
        description=(
            'Query language: words (all must match), "phrases", tag:x (x and x/...), '
            "title:, alias:, heading:, body:, cite: (also every note citing a work by that "
            "author or of that key), question:, path: (prefix), -term to "
            "exclude, a OR b. Korean words match with particles attached and with or "
            "without spaces. Put -- before a query that starts with '-'."
        ),
    )
    search.add_argument("query", nargs="+", metavar="QUERY", help="the query (words are joined)")
    search.add_argument(
        "--limit", type=_positive_int, default=20, metavar="N", help="at most N results (20)"
    )
    search.add_argument(
        "--json", action="store_true", help="print [{path, title, score, snippet}] as JSON"
    )
    search.set_defaults(handler=run_search)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _open(args: argparse.Namespace, verify: bool = False):
    from notebase.index import open_index  # imports whoosh: only when a command needs it

    vault = args.vault
    if not vault.is_dir():
        raise UserError(f"vault folder not found: {vault}")
    try:
        return open_index(vault, on_message=_notice, verify=verify)
    except OSError as exc:  # a read-only vault, a full disk
        raise UserError(
            f"cannot write the search index under {vault}/.notebase: {exc.strerror or exc}"
        ) from None


def _notice(message: str) -> None:
    """The index's one-line notices (rebuilding, waiting for a lock) on stderr."""
    print_text(f"notebase: {message}", file=sys.stderr)


def run_index(args: argparse.Namespace) -> int:
    index = _open(args, verify=not args.rebuild)  # every index file read once
    try:
        progress = None if args.json else _progress_bar()
        stats = index.rebuild(progress) if args.rebuild else index.update(progress)
    except OSError as exc:
        raise UserError(f"could not update the search index: {exc.strerror or exc}") from None
    finally:
        index.close()
    if args.json:
        print_json(stats.as_dict())
    else:
        print(
            f"{stats.notes} notes indexed ({stats.added} added, {stats.updated} updated, "
            f"{stats.removed} removed, {stats.invalid} invalid) in {stats.seconds:.2f} s"
        )
    return 0


def _citation_lookup(args: argparse.Namespace, query: str):
    """``(cited, parsed)`` for a query with ``cite:``: the vault's works (who cites a work
    by an author, under every spelling they join) and its parsed notes for the index.
    ``(None, None)`` otherwise: a plain search never loads the vault."""
    from notebase.index.query import parse_query

    parsed = parse_query(query)  # a query that cannot be read fails here, as in search
    if not any(c.field == "citations" for group in parsed.groups for c in group):
        return None, None
    from notebase.cli.citation_commands import load_works
    from notebase.cli.vault_commands import load_vault

    vault = load_vault(args)
    return load_works(args, vault).notes_citing, vault.parsed_note


def run_search(args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    cited, parsed = _citation_lookup(args, query)
    index = _open(args)
    try:
        index.update(None if args.json else _progress_bar(), parsed=parsed)
        page = index.search_page(query, limit=args.limit, cited=cited)
    except OSError as exc:
        raise UserError(f"could not update the search index: {exc.strerror or exc}") from None
    finally:
        index.close()
    hits = page.hits
    if args.json:
        print_json(
            [
                {"path": h.path, "title": h.title, "score": round(h.score, 4), "snippet": h.snippet}
                for h in hits
            ]
        )
        return 0
    if not hits:
        print("no notes match", file=sys.stderr)
        return 0
    for hit in hits:
        print_text(f"{hit.path}  {hit.title}  ({hit.score:.2f})")
        if hit.snippet:
            print_text(f"    {hit.snippet}")
    if page.total > len(hits):  # cut by --limit: say how many there are (else the list does)
        print(f"showing {len(hits)} of {page.total} matching notes (--limit N shows more)",
              file=sys.stderr)
    return 0


def _progress_bar():
    """A progress callback drawing on stderr, or None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    width = 30

    def draw(done: int, total: int) -> None:
        if total < PROGRESS_MIN_NOTES:
            return
        filled = width * done // total
        bar = "█" * filled + "░" * (width - filled)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\rindexing {bar} {done}/{total}{end}")
        sys.stderr.flush()

    return draw
