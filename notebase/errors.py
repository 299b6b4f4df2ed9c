"""Errors a user can cause. The CLI turns each into one line on stderr and exit code 2."""

from __future__ import annotations

from pathlib import Path


class UserError(Exception):
    """A mistake in the user's input (a missing note, a bad spec, no GPU): no traceback."""


class NoteError(UserError):
    """A note cannot be found or read."""


class SpecError(UserError):
    """An experiment spec is missing or invalid."""


class FolderError(UserError):
    """The vault or the experiments folder is missing (or is not a folder)."""


VAULT_HINT = "use --vault DIR or $NOTEBASE_VAULT"
EXPERIMENTS_HINT = "use --experiments DIR or $NOTEBASE_EXPERIMENTS"


def folder_problem(path: Path, kind: str, hint: str) -> str | None:
    """The one line saying `path` is not a usable `kind` folder (``vault``,
    ``experiments``), or None when it is a folder. Every command says it this way."""
    path = Path(path)
    if path.is_dir():
        return None
    what = "is not a folder" if path.exists() else "does not exist"
    return f"{kind} folder {path} {what} ({hint})"


def require_folder(path: Path, kind: str, hint: str) -> None:
    """`FolderError` (`folder_problem`'s line) unless `path` is a folder."""
    problem = folder_problem(path, kind, hint)
    if problem is not None:
        raise FolderError(problem)
