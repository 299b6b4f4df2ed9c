"""Messages that cross screens: the vault was (re)loaded or changed, a run reported."""

from __future__ import annotations

from textual.message import Message

from notebase.tui.runs import RunOutcome, RunRequest


class VaultLoaded(Message):
    """The vault finished loading (first load); the screens can fill their lists."""

    def __init__(self, invalid: list[tuple[str, str]]) -> None:
        super().__init__()
        self.invalid = invalid
        """``(path, error)`` for every note that could not be read."""


class VaultChanged(Message):
    """Notes changed on disk and were re-read (and re-indexed)."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__()
        self.paths = paths


class RunEvent(Message):
    """One JSON-lines event of the running experiment subprocess."""

    def __init__(self, request: RunRequest, event: dict) -> None:
        super().__init__()
        self.request = request
        self.event = event


class RunFinished(Message):
    """The run ended (done and written, failed, or cancelled)."""

    def __init__(self, request: RunRequest, outcome: RunOutcome) -> None:
        super().__init__()
        self.request = request
        self.outcome = outcome
