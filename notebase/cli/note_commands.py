"""``notebase new | rename | delete``: write notes from the command line, thinly over
`notebase.core.note_create`, `note_rename` and `note_trash`.

JSON shapes (fields may be added, never renamed or removed):

- ``new --json``: ``{path}``
- ``rename --json``: ``{old, new, changes: [{path, links}], written: [path], problems: [line],
  dry_run}``
- ``delete --json``: ``{path, trash}``

Mistakes (unknown note, a name that is taken, a folder outside the vault) are one line on
stderr and exit code 2. A rename that moved the note but had to leave some files alone
(they changed on disk meanwhile) says which and exits 1. The search index and the notes
cache need nothing done: both re-read changed files by their modification time and size on
their next use.
"""

from __future__ import annotations

import argparse
import sys

from notebase.cli.output import print_json, print_text
from notebase.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    new = subparsers.add_parser(
        "new",
        help="create a note (file name from its title, frontmatter title/created/tags)",
        description="Create a note named after TITLE in the vault (or in --folder), with "
        "frontmatter title, created and tags, and a '# TITLE' heading or the body of "
        "templates/NAME.md ({{title}}, {{date}} and {{time}} filled in). Never replaces a file.",
    )
    new.add_argument("title", metavar="TITLE")
    new.add_argument(
        "--folder", default="", metavar="F", help="vault-relative folder (made if missing)"
    )
    new.add_argument(
        "--tag", action="append", default=[], metavar="T", help="a tag (repeat for more)"
    )
    new.add_argument("--template", metavar="NAME", help="use templates/NAME.md")
    new.add_argument("--json", action="store_true", help="print {path} as JSON")
    new.set_defaults(handler=run_new)

    rename = subparsers.add_parser(
        "rename",
        help="rename or move a note and rewrite every link to it",
        description="Rename NOTE (a path, file name, title or alias) to NEW: a new title or "
        "file name in the same folder, or a vault-relative path to move it (a path ending "
        "in / keeps the name). Every link to it, in every note, is rewritten in the form "
        "it was written; nothing else in any file changes.",
    )
    rename.add_argument("note", metavar="NOTE")
    rename.add_argument("new", metavar="NEW")
    rename.add_argument(
        "--dry-run", action="store_true", help="show what would change, write nothing"
    )
    rename.add_argument("--json", action="store_true", help="machine-readable output")
    rename.set_defaults(handler=run_rename)

    delete = subparsers.add_parser(
        "delete",
        help="move a note (and its results sidecar) to the vault's .trash folder",
        description="Move NOTE into <vault>/.trash/ (Obsidian's trash), with its "
        ".results.md sidecar. Nothing is deleted. Asks first unless --yes.",
    )
    delete.add_argument("note", metavar="NOTE")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.add_argument("--json", action="store_true", help="print {path, trash} as JSON")
    delete.set_defaults(handler=run_delete)


def run_new(args: argparse.Namespace) -> int:
    from notebase.core.note_create import create_note

    path = create_note(
        args.vault, args.title, folder=args.folder, tags=args.tag, template=args.template
    )
    if args.json:
        print_json({"path": path})
    else:
        print_text(path)
    return 0


def run_rename(args: argparse.Namespace) -> int:
    from notebase.cli.vault_commands import load_vault
    from notebase.core.note_rename import RenameIncomplete, apply_rename, plan_rename

    vault = load_vault(args)
    note = vault.find(args.note)
    plan = plan_rename(vault.root, note.path, args.new, vault=vault)
    written: list[str] = []
    failure: RenameIncomplete | None = None
    if not args.dry_run:
        try:
            written = apply_rename(vault.root, plan)
        except RenameIncomplete as exc:
            written, failure = exc.written, exc
    if args.json:
        print_json(
            {
                "old": plan.old,
                "new": plan.new,
                "changes": [{"path": c.path, "links": c.links} for c in plan.changes],
                "written": written,
                "problems": list(plan.problems),
                "dry_run": bool(args.dry_run),
            }
        )
    else:
        verb = "would rename" if args.dry_run else "renamed"
        print_text(f"{verb} {plan.old} -> {plan.new}")
        for change in plan.changes:
            links = f"{change.links} link" + ("" if change.links == 1 else "s")
            print_text(f"  {change.path}  ({links})")
        files = sum(1 for c in plan.changes if c.links)
        summary = f"{plan.links} links in {files} files"
        print_text(
            f"{summary}; nothing written (--dry-run)" if args.dry_run else summary + " rewritten"
        )
    for problem in plan.problems:
        print_text(f"notebase: warning: {problem}", file=sys.stderr)
    if failure is not None:
        print_text(f"notebase: {failure}", file=sys.stderr)
        return 1
    return 0


def run_delete(args: argparse.Namespace) -> int:
    from notebase.cli.vault_commands import load_vault
    from notebase.core.note_trash import trash_note

    vault = load_vault(args)
    note = vault.find(args.note)
    if not args.yes:
        if not sys.stdin.isatty():
            raise UserError(f"not deleting {note.path} without --yes (no terminal to ask on)")
        print_text(f"Move {note.path} to .trash? [y/N] ", file=sys.stderr)
        try:
            answer = input()
        except EOFError:
            answer = ""
        if answer.strip().casefold() not in ("y", "yes"):
            print("notebase: nothing deleted", file=sys.stderr)
            return 1
    trash = trash_note(vault.root, note.path)
    if args.json:
        print_json({"path": note.path, "trash": trash})
    else:
        print_text(trash)
    return 0
