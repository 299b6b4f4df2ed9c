"""Small modal screens: a text detail (citation, question, results), a chooser, a yes/no
question, the help."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Markdown, OptionList, Static
from textual.widgets.option_list import Option


class DetailScreen(ModalScreen[None]):
    """A titled Markdown text over the current screen; Escape, backspace or q closes it."""

    BINDINGS = [
        Binding("escape", "dismiss_detail", "Close", id="detail.close"),
        Binding("backspace", "dismiss_detail", "Close", show=False, id="detail.back"),
        Binding("q", "dismiss_detail", "Close", show=False, id="detail.quit"),
    ]

    def __init__(self, title: str, markdown: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.detail_title = title
        self.detail_markdown = markdown

    def compose(self) -> ComposeResult:
        with Vertical(id="detail-box", classes="modal-box"):
            yield Static(self.detail_title, id="detail-title", classes="modal-title", markup=False)
            with VerticalScroll(id="detail-scroll"):
                yield Markdown(self.detail_markdown, id="detail-markdown", open_links=False)
            yield Static("Escape closes", classes="modal-hint")

    def action_dismiss_detail(self) -> None:
        self.dismiss(None)


class ChooseScreen(ModalScreen[str | None]):
    """Pick one of a few named choices (e.g. which experiment to run)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choose.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]], **kwargs) -> None:
        """``choices``: ``[(value, label)]``."""
        super().__init__(**kwargs)
        self.choose_title = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(id="choose-box", classes="modal-box"):
            yield Static(self.choose_title, classes="modal-title", markup=False)
            yield OptionList(
                *[Option(label, id=value) for value, label in self.choices],
                id="choose-list",
                markup=False,
            )
            yield Static("Enter chooses · Escape cancels", classes="modal-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: y or Enter on the yes button says yes; n or Escape says no. The no
    button has the focus, so Enter alone says no. Other yes/no dialogs subclass it (their
    own ``compose`` ending in ``compose_buttons``) to answer the same way."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No", **kwargs) -> None:
        super().__init__(**kwargs)
        self.question = question
        self.yes_label = yes
        self.no_label = no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="modal-box"):
            yield Static(self.question, id="confirm-question", classes="modal-title", markup=False)
            yield from self.compose_buttons()

    def compose_buttons(self) -> ComposeResult:
        """The yes and no buttons (no focused once mounted)."""
        with Horizontal(id="confirm-buttons"):
            yield Button(f"{self.yes_label} (y)", variant="error", id="confirm-yes")
            yield Button(f"{self.no_label} (n)", variant="primary", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()  # Enter alone keeps things as they are

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class HelpScreen(ModalScreen[None]):
    """Every key of the app, with what it does."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="help.close"),
        Binding("question_mark", "close", "Close", show=False, id="help.toggle"),
        Binding("q", "close", "Close", show=False, id="help.quit"),
    ]

    def __init__(self, keys: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = "| key | what it does |\n|---|---|\n" + "\n".join(
            f"| `{key}` | {text} |" for key, text in self.keys
        )
        with Vertical(id="help-box", classes="modal-box"):
            yield Static("notebase keys", classes="modal-title")
            with VerticalScroll():
                yield Markdown(table, open_links=False)
            yield Static("Escape closes", classes="modal-hint")

    def action_close(self) -> None:
        self.dismiss(None)
