"""The `notebase` command: parse arguments, call one function, print text or JSON.

Each group of commands lives in its own module with a ``register(subparsers)`` that adds
its sub-commands and binds ``args.handler``; this module only wires them together.

Every mistake a user can make ends the same way: one line ``notebase: ...`` on stderr and
exit code 2, whether argparse finds it (an unknown flag: no usage dump), a folder is missing
(`check_folders`, one wording for every command) or a command raises `UserError`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from notebase.errors import EXPERIMENTS_HINT, VAULT_HINT, UserError, require_folder

# Modules that contribute sub-commands; each exposes register(subparsers).
COMMAND_MODULES = (
    "notebase.cli.vault_commands",
    "notebase.cli.note_commands",
    "notebase.cli.citation_commands",
    "notebase.cli.search_commands",
    "notebase.cli.experiment_commands",
    "notebase.cli.app_command",
)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line (no usage block) and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = OneLineParser(
        prog="notebase",
        description="Browse a Zettelkasten vault and run the experiments its notes ask for.",
    )
    parser.add_argument(
        "--vault",
        type=Path,
        default=None,
        help="the vault folder (default: $NOTEBASE_VAULT, else ./notes)",
    )
    parser.add_argument(
        "--experiments",
        type=Path,
        default=None,
        help="the folder of experiment specs (default: $NOTEBASE_EXPERIMENTS, else ./experiments)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def resolve_paths(args: argparse.Namespace) -> None:
    """Fill in the vault and experiments folders from flags, environment and defaults."""
    if args.vault is None:
        args.vault = Path(os.environ.get("NOTEBASE_VAULT") or "notes")
    if args.experiments is None:
        args.experiments = Path(os.environ.get("NOTEBASE_EXPERIMENTS") or "experiments")


def check_folders(args: argparse.Namespace) -> None:
    """`FolderError` when the command needs a folder that is not there: the vault for every
    command but ``experiments`` and ``run --experiment`` (without a NOTE); the experiments
    folder for ``experiments`` and ``run``."""
    command = getattr(args, "command", None)
    runs = command in ("experiments", "run")
    if not runs or getattr(args, "note", None) is not None:
        require_folder(args.vault, "vault", VAULT_HINT)
    if runs:
        require_folder(args.experiments, "experiments", EXPERIMENTS_HINT)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    resolve_paths(args)
    handler = getattr(args, "handler", None)
    if handler is None:  # no command: open the app
        from notebase.cli.app_command import run_app as handler
    try:
        check_folders(args)
        return int(handler(args) or 0)
    except UserError as exc:
        from notebase.cli.output import print_text  # messages quote names from the vault

        print_text(f"notebase: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("notebase: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `notebase ... | head` closed the pipe: not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0

