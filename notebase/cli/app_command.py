"""``notebase app`` (and ``notebase`` with no command): open the terminal app."""

from __future__ import annotations

import argparse

from notebase.errors import VAULT_HINT, require_folder


def register(sub) -> None:
    parser = sub.add_parser(
        "app",
        help="open the terminal app on the vault (the default without a command)",
        description="Browse the vault, search it, read citations and questions, run experiments.",
    )
    parser.add_argument(
        "--no-watch",
        action="store_true",
        help="do not follow changes made to the notes on disk while the app is open",
    )
    parser.set_defaults(handler=run_app)


def run_app(args: argparse.Namespace) -> int:
    """Open the app on ``args.vault`` / ``args.experiments``; returns the exit status."""
    vault = args.vault
    require_folder(vault, "vault", VAULT_HINT)  # as every command says it
    from notebase.tui.app import make_app  # Textual loads only when the app opens

    app = make_app(
        vault.resolve(),
        args.experiments.resolve(),
        watch=not getattr(args, "no_watch", False),
    )
    app.run()
    return int(app.return_code or 0)
