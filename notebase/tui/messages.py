"""Messages that cross screens: the vault was (re)loaded or changed, the index opened, a
run reported."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual.message import Message

from notebase.tui.runs import RunRequest
from notebase.tui.views import Listing, VaultUpdate

if TYPE_CHECKING:  # pragma: no cover - typing only
    from notebase.tui.runs import RunOutcome  # notebase.experiments.note_runs.RunOutcome


class VaultLoaded(Message):
    """The vault finished loading (first load); the screens can fill their lists."""

    def __init__(self, listing: Listing) -> None:
        super().__init__()
        self.listing = listing
        """Every note, the tags, and the notes that could not be read."""


class VaultChanged(Message):
    """Notes changed on disk were re-read: what the screens must redraw. ``shown`` is set
    once they have (the worker waits for it before re-indexing, so that it does not hold
    the GIL against the redraw)."""

    def __init__(self, update: VaultUpdate) -> None:
        super().__init__()
        self.update = update
        self.shown = threading.Event()


class IndexReady(Message):
    """The search index finished opening (or failed: ``session.index_state`` says)."""


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
