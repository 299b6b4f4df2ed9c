"""The footer of the main screen: the keys of the moment, with Help and Quit always in view.

Textual's ``Footer`` lays its keys out left to right and cuts what does not fit: at 80
columns ``x Cancel run`` and ``? Help`` fell off the end. ``KeyFooter`` docks the keys of
``PINNED`` (and the command palette's) on the right, so they show at any width; the others
fill the room left, in binding order, and a key that would not fit whole is left out rather
than cut (secondary keys are ``show=False``; the help screen lists every key). It is compact:
no padding around the key letters.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    """A compact ``Footer`` whose ``PINNED`` actions stay on screen at any width."""

    PINNED = ("cancel_run", "help", "quit")
    """Actions kept in view on the right, left to right (then the command palette's key);
    ``cancel_run`` is in the footer only while a run is on."""

    DEFAULT_CSS = """
    KeyFooter #footer-pinned {
        dock: right;
        width: auto;
        height: 1;
        background: $footer-background;
        border-left: vkey $foreground 20%;
    }
    KeyFooter #footer-pinned FooterKey.-command-palette {
        dock: none;
        border-left: none;
    }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(compact=True, **kwargs)

    def compose(self) -> ComposeResult:
        pinned: list[FooterKey] = []
        for widget in super().compose():
            if isinstance(widget, FooterKey) and (
                widget.action in self.PINNED or widget.has_class("-command-palette")
            ):
                pinned.append(widget)
            else:
                yield widget
        if pinned:
            order = {action: index for index, action in enumerate(self.PINNED)}
            pinned.sort(key=lambda key: order.get(key.action, len(order)))
            with HorizontalGroup(id="footer-pinned"):
                yield from pinned
        self.call_after_refresh(self.fit_keys)

    def on_resize(self) -> None:
        self.fit_keys()

    def fit_keys(self) -> None:
        """Show the unpinned keys, in order, while they fit whole beside the pinned ones.

        Widths are counted from the texts (a compact key: ``key description`` and a margin
        of one), not measured: a footer under a modal screen is not laid out again."""

        def width(key: FooterKey) -> int:
            return cell_len(key.key_display) + 1 + cell_len(key.description) + 1

        keys = list(self.query(FooterKey))
        pinned = [key for key in keys if key.parent is not None and key.parent.id == "footer-pinned"]
        room = self.size.width - (sum(map(width, pinned)) + 1 if pinned else 0)  # + its border
        used = 0
        for key in keys:
            if key.parent is self:
                used += width(key)
                key.display = used <= room
