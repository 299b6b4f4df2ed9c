"""Errors a user can cause. The CLI turns each into one line on stderr and exit code 2."""


class UserError(Exception):
    """A mistake in the user's input (a missing note, a bad spec, no GPU): no traceback."""


class NoteError(UserError):
    """A note cannot be found or read."""


class SpecError(UserError):
    """An experiment spec is missing or invalid."""
