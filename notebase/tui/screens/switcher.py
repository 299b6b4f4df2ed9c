"""The quick switcher (ctrl+o): type part of a title, alias or path, Enter opens the note.

Matching (``Matcher``), best first:

1. the query is a substring of a title, alias or path (without ``.md``): a prefix or a
   match at a word start ranks higher, a title above an alias above a path, a short name
   above a long one;
2. a query of Hangul consonants only (``ㅁㅌ``) matching the initial consonants of a name
   (``메타러닝`` → ``ㅁㅌㄹㄴ``);
3. every word of a query of several words found in the note's names;
4. a name at least as long as the query with a part close to it, a typo aside (rapidfuzz
   ``partial_ratio`` ≥ ``FUZZY_CUTOFF``), only looked for when the tiers above found fewer
   than ``FUZZY_BELOW`` notes.

Everything is compared folded (`notebase.tui.name_folding`: NFC, case-folded, Hangul split
into jamo, so a half-typed last syllable matches too). The keys are prepared once per vault version (``Matcher`` over ``session.switch_targets()``, on
a worker); a keystroke then costs plain substring tests over them
(``bench/switcher_bench.py`` measures it). When nothing matches, the only row offers to
create a note of that name (the app then opens ``n``'s new-note dialog with it as title).
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from notebase.tui.name_folding import consonants_only, fold, initials
from notebase.tui.session import VaultSession
from notebase.tui.views import SwitchTarget
from notebase.tui.widgets.row_list import Row, RowList

LIMIT = 50
"""Rows shown at most."""

FUZZY_BELOW = 20
"""Typo-tolerant matching runs only when the exact tiers found fewer notes than this."""

FUZZY_CUTOFF = 85
"""The least rapidfuzz ``partial_ratio`` (0-100) a typo match needs."""

CREATE_KEY = "\0create"
"""Row key of the "create note" row (no note path starts with NUL)."""

_WORD_STARTS = frozenset(" /-_.([{'\"")


@dataclass(slots=True)
class Match:
    """A note the query matches: its score (higher first) and the name that matched."""

    score: float
    path: str
    title: str
    via: str | None = None
    """The alias that matched, when it was an alias rather than the title or path."""


_FIELD_BONUS = (30, 20, 0)  # title, alias, path


class Matcher:
    """The switcher's keys for a list of notes, prepared once; ``search`` per keystroke."""

    def __init__(self, targets: list[SwitchTarget]) -> None:
        self.targets = targets
        self._keys: list[str] = []
        """Every folded name, flat (rapidfuzz takes one list)."""
        self._owners: list[tuple[int, int, str]] = []
        """For each of ``_keys``: (target index, field: 0 title 1 alias 2 path, the name)."""
        self._initials: list[str] = []
        self._joined: list[str] = []
        """Per target: all its folded names in one string (several-word queries)."""
        for index, target in enumerate(targets):
            names = [(0, target.title)]
            names += [(1, alias) for alias in target.aliases if alias]
            names.append((2, target.path.removesuffix(".md")))
            seen = set()
            for field, name in names:
                key = fold(name)
                if key in seen:
                    continue
                seen.add(key)
                self._keys.append(key)
                self._owners.append((index, field, name))
                self._initials.append(initials(name).replace(" ", "") if field < 2 else "")
            self._joined.append("\n".join(seen))

    def search(self, query: str, limit: int = LIMIT) -> list[Match]:
        """The notes ``query`` matches, best first (the tiers: the module docstring)."""
        wanted = fold(query)
        if not wanted:
            return []
        best: dict[int, tuple[float, int, str]] = {}  # target -> (score, field, name)

        def offer(index: int, score: float, field: int, name: str) -> None:
            held = best.get(index)
            if held is None or score > held[0]:
                best[index] = (score, field, name)

        owners = self._owners
        for number, key in enumerate(self._keys):
            at = key.find(wanted)
            if at < 0:
                continue
            index, field, name = owners[number]
            score = 1000.0 + _FIELD_BONUS[field] - min(len(key), 200) / 10
            if at == 0:
                score += 300
            elif key[at - 1] in _WORD_STARTS:
                score += 150
            offer(index, score, field, name)
        if consonants_only(query.strip()):
            compact = query.replace(" ", "")
            for number, key in enumerate(self._initials):
                at = key.find(compact) if key else -1
                if at >= 0:
                    index, field, name = owners[number]
                    score = 800.0 + (100 if at == 0 else 0) + _FIELD_BONUS[field] - len(key) / 10
                    offer(index, score, field, name)
        words = wanted.split(" ")
        if len(words) > 1:
            for index, joined in enumerate(self._joined):
                if index not in best and all(word in joined for word in words):
                    offer(index, 700.0 - len(joined) / 100, 0, self.targets[index].title)
        if len(best) < FUZZY_BELOW and len(wanted) >= 3:
            for _key, ratio, number in process.extract(
                wanted,
                self._keys,
                scorer=fuzz.partial_ratio,
                score_cutoff=FUZZY_CUTOFF,
                limit=limit,
            ):
                if len(self._keys[number]) < len(wanted):
                    continue  # partial_ratio would look for the name inside the query
                index, field, name = owners[number]
                offer(index, ratio * 5 + _FIELD_BONUS[field] / 10, field, name)
        top = heapq.nlargest(limit, best.items(), key=lambda item: (item[1][0], -item[0]))
        matches = []
        for index, (score, field, name) in top:
            target = self.targets[index]
            matches.append(Match(score, target.path, target.title, name if field == 1 else None))
        return matches


_matcher: tuple[list[SwitchTarget], Matcher] | None = None


def matcher_for(targets: list[SwitchTarget]) -> Matcher:
    """The ``Matcher`` of ``targets``, kept while the session hands out the same list
    (it builds a new one when the vault changed)."""
    global _matcher
    held = _matcher
    if held is not None and held[0] is targets:
        return held[1]
    matcher = Matcher(targets)
    _matcher = targets, matcher
    return matcher


def match_rows(matches: list[Match]) -> list[Row]:
    rows = []
    for match in matches:
        text = Text(match.title)
        if match.via:
            text.append(f"  = {match.via}", style="italic")
        text.append(f"  {match.path}", style="dim")
        rows.append(Row(match.path, text))
    return rows


class MatcherReady(Message):
    """A worker prepared the switcher's keys."""

    def __init__(self, matcher: Matcher) -> None:
        super().__init__()
        self.matcher = matcher


class SwitcherScreen(ModalScreen[tuple[str, str] | None]):
    """Query box over the matching notes; dismisses with ``("open", path)``,
    ``("create", name)`` or None."""

    DEFAULT_CSS = """
    #switcher-box { height: 80%; }
    #switcher-list { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="switcher.close"),
        Binding("down", "move(1)", "Next", show=False, id="switcher.down"),
        Binding("up", "move(-1)", "Previous", show=False, id="switcher.up"),
    ]

    def __init__(self, session: VaultSession, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.matcher: Matcher | None = None
        self.matches: list[Match] = []
        self.shown_query: str | None = None
        """The query the list shows the answer to (tests wait on it)."""
        self.painted_query: str | None = None
        """The query whose answer was last painted, and when (``time.perf_counter()``)."""
        self.painted_at = 0.0

    def compose(self) -> ComposeResult:
        with Vertical(id="switcher-box", classes="modal-box"):
            yield Static(
                "Open note  (title · alias · path · ㅁㅌ for 메타…)", classes="modal-title"
            )
            yield Input(placeholder="메타러닝, maml, 알고리즘/…", id="switcher-input")
            yield RowList(empty_text="loading…", id="switcher-list")
            yield Static("Enter opens · ↑↓ choose · Escape closes", classes="modal-hint")

    def on_mount(self) -> None:
        self.query_one("#switcher-input", Input).focus()
        self.run_worker(self._prepare, thread=True, group="switcher", exit_on_error=False)

    def _prepare(self) -> None:
        self.post_message(MatcherReady(matcher_for(self.session.switch_targets())))

    def on_matcher_ready(self, message: MatcherReady) -> None:
        self.matcher = message.matcher
        self.query_one("#switcher-list", RowList).empty_text = "no notes"
        self.update_list(self.query_one("#switcher-input", Input).value)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.update_list(event.value)

    def update_list(self, query: str) -> None:
        """Match ``query`` and show the matches (on the UI thread: well under a frame)."""
        if self.matcher is None:
            return
        if query.strip():
            self.matches = self.matcher.search(query)
        else:  # every note, in list order
            self.matches = [Match(0, t.path, t.title) for t in self.matcher.targets[:LIMIT]]
        rows = match_rows(self.matches)
        if not self.matches and query.strip():
            name = " ".join(query.split())
            rows.append(Row(CREATE_KEY, Text.assemble(("+ ", "green"), f"create note “{name}”")))
        row_list = self.query_one("#switcher-list", RowList)
        row_list.cursor = -1  # a new answer: the best match first
        row_list.set_rows(rows)
        self.shown_query = query
        self.call_after_refresh(self._painted, query)

    def _painted(self, query: str) -> None:
        self.painted_query = query
        self.painted_at = time.perf_counter()

    def action_move(self, step: int) -> None:
        rows = self.query_one("#switcher-list", RowList)
        if step > 0:
            rows.action_cursor_down()
        else:
            rows.action_cursor_up()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.shown_query != event.value:
            self.update_list(event.value)
        self._choose(self.query_one("#switcher-list", RowList).highlighted_key)

    def on_row_list_selected(self, event: RowList.Selected) -> None:
        event.stop()
        self._choose(event.key)

    def _choose(self, key: str | None) -> None:
        if key == CREATE_KEY:
            self.dismiss(
                ("create", " ".join(self.query_one("#switcher-input", Input).value.split()))
            )
        elif key is not None:
            self.dismiss(("open", key))

    def action_cancel(self) -> None:
        self.dismiss(None)
