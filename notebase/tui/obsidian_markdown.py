"""The markdown-it parser the note body is drawn from: CommonMark read the way Obsidian reads it.

On top of Rich's own set-up (CommonMark, tables, strikethrough) it

- lets ``**``/``*``/``_``/``~~``/``==`` open and close next to Hangul and Han
  (``**그라디언트(Gradient)**를``): the inline state's delimiter scan asks
  `notebase.core.obsidian_syntax.emphasis_flanking`;
- reads ``==highlight==`` (``mark_open``/``mark_close``, tag ``mark``);
- reads ``$math$`` and ``$$math$$`` inside text (``math_inline``, tag ``math``, the LaTeX
  kept verbatim, so ``_`` and ``^`` in it are never emphasis) and ``$$`` blocks
  (``math_block``), by `notebase.core.obsidian_syntax.math_spans` and its block rule;
- turns a block quote whose first line is ``[!type]± title`` into ``callout_open`` /
  ``callout_close`` (``meta["callout"]``: the `CalloutHeader`), the header line removed;
- keeps raw HTML as text (Rich drops ``html_block``/``html_inline`` tokens): ``<br>`` is a
  line break, HTML comments (notebase's results markers among them) stay hidden.

Comments, block ids, links and embeds are handled before (``notebase.tui.render``).
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.parser_inline import ParserInline
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.rules_core.state_core import StateCore
from markdown_it.rules_inline.state_inline import Delimiter, Scanned, StateInline
from markdown_it.token import Token

from notebase.core.obsidian_syntax import (
    HIGHLIGHT_MARKER,
    callout_header,
    closes_math_block,
    emphasis_flanking,
    is_punctuation,
    math_spans,
    opens_math_block,
)

_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


class _State(StateInline):
    """Inline state whose delimiter runs follow Obsidian's CJK-friendly flanking rule."""

    math: dict[int, tuple[int, bool]] | None = None

    def scanDelims(self, start: int, canSplitWord: bool) -> Scanned:  # noqa: N802 (markdown-it's name)
        src = self.src
        marker = src[start]
        pos = start
        maximum = self.posMax
        while pos < maximum and src[pos] == marker:
            pos += 1
        last = src[start - 1] if start > 0 else " "
        next_char = src[pos] if pos < maximum else " "
        left, right = emphasis_flanking(last, next_char)
        if canSplitWord:
            return Scanned(left, right, pos - start)
        # "_" inside a word neither opens nor closes (CommonMark), punctuation aside
        can_open = left and (not right or is_punctuation(last))
        can_close = right and (not left or is_punctuation(next_char))
        return Scanned(can_open, can_close, pos - start)


class _Inline(ParserInline):
    def parse(self, src, md, env, tokens):
        state = _State(src, md, env, tokens)
        self.tokenize(state)
        for rule in self.ruler2.getRules(""):
            rule(state)
        return state.tokens


# --- math --------------------------------------------------------------------------------


def _math_inline(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "$":
        return False
    spans = getattr(state, "math", None)
    if spans is None:
        spans = state.math = math_spans(state.src)  # type: ignore[attr-defined]
    found = spans.get(state.pos)
    if found is None:
        return False
    end, display = found
    if not silent:
        width = 2 if display else 1
        token = state.push("math_inline", "math", 0)
        token.content = state.src[state.pos + width : end - width]
        token.markup = "$" * width
    state.pos = end
    return True


def _math_block(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    first = state.src[state.bMarks[start] + state.tShift[start] : state.eMarks[start]]
    if not opens_math_block(first):
        return False
    rest = first[2:]
    if closes_math_block(rest) and len(rest.rstrip()) >= 2:
        last, lines = start, [rest.rstrip()[:-2]]
    else:
        failed = state.env.setdefault("_math_unclosed_from", {})
        if failed.get(end, end) <= start:
            return False  # no closing line after an earlier opening: none after this one
        lines = [rest]
        last = None
        for line in range(start + 1, end):
            if state.sCount[line] < state.blkIndent and state.isEmpty(line) is False:
                break  # the container (a quote, a list item) ended
            text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]
            if closes_math_block(text):
                lines.append(text.rstrip()[:-2])
                last = line
                break
            lines.append(text)
        if last is None:
            failed[end] = min(start, failed.get(end, end))
            return False
    if silent:
        return True
    token = state.push("math_block", "div", 0)
    token.content = "\n".join(part.strip() for part in lines).strip("\n")
    token.markup = "$$"
    token.map = [start, last + 1]
    state.line = last + 1
    return True


# --- highlight ---------------------------------------------------------------------------


def _highlight(state: StateInline, silent: bool) -> bool:
    """``==``: each pair of markers a delimiter, as markdown-it's strikethrough does ``~~``."""
    start = state.pos
    if silent or state.src[start] != HIGHLIGHT_MARKER:
        return False
    scanned = state.scanDelims(start, True)
    length = scanned.length
    if length < 2:
        return False
    if length % 2:
        state.push("text", "", 0).content = HIGHLIGHT_MARKER
        length -= 1
    for _ in range(length // 2):
        state.push("text", "", 0).content = HIGHLIGHT_MARKER * 2
        state.delimiters.append(
            Delimiter(
                marker=ord(HIGHLIGHT_MARKER),
                length=0,
                token=len(state.tokens) - 1,
                end=-1,
                open=scanned.can_open,
                close=scanned.can_close,
            )
        )
    state.pos += scanned.length
    return True


def _pair_highlights(state: StateInline, delimiters: list[Delimiter]) -> None:
    for delimiter in delimiters:
        if delimiter.marker != ord(HIGHLIGHT_MARKER) or delimiter.end == -1:
            continue
        for index, kind, nesting in (
            (delimiter.token, "mark_open", 1),
            (delimiters[delimiter.end].token, "mark_close", -1),
        ):
            token = state.tokens[index]
            token.type, token.tag, token.nesting = kind, "mark", nesting
            token.markup, token.content = HIGHLIGHT_MARKER * 2, ""


def _highlight_post(state: StateInline) -> None:
    _pair_highlights(state, state.delimiters)
    for meta in state.tokens_meta:
        if meta and "delimiters" in meta:
            _pair_highlights(state, meta["delimiters"])


# --- callouts ----------------------------------------------------------------------------


def _callouts(state: StateCore) -> None:
    """``blockquote_open`` + a first paragraph ``[!type]± title`` -> ``callout_open``."""
    tokens = state.tokens
    for index, token in enumerate(tokens):
        if token.type != "blockquote_open" or index + 2 >= len(tokens):
            continue
        if tokens[index + 1].type != "paragraph_open" or tokens[index + 2].type != "inline":
            continue
        inline = tokens[index + 2]
        first, _, rest = inline.content.partition("\n")
        header = callout_header(first)
        if header is None:
            continue
        closing = _closing(tokens, index)
        if closing is None:
            continue
        token.type = "callout_open"
        token.meta = {"callout": header, "title": _plain(state, header.title)}
        tokens[closing].type = "callout_close"
        inline.content = rest
        if not rest.strip():  # the header was the whole paragraph
            for at in (index + 3, index + 2, index + 1):
                tokens[at].type = "callout_removed"
    state.tokens = [token for token in tokens if token.type != "callout_removed"]


def _plain(state: StateCore, text: str) -> str:
    """Inline Markdown as the text it shows (``**굵은** 제목`` -> ``굵은 제목``)."""
    if not any(mark in text for mark in "*_`$=[~<\\&"):
        return text
    shown = []
    for inline in state.md.parseInline(text, state.env):
        for child in inline.children or ():
            if child.type in ("text", "code_inline", "math_inline"):
                shown.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                shown.append(" ")
    return "".join(shown)


def _closing(tokens: list[Token], index: int) -> int | None:
    level = tokens[index].level
    for at in range(index + 1, len(tokens)):
        if tokens[at].type == "blockquote_close" and tokens[at].level == level:
            return at
    return None


# --- raw HTML ----------------------------------------------------------------------------


def _is_comment(html: str) -> bool:
    html = html.strip()
    return html.startswith("<!--") and html.endswith("-->")


def _html_as_text(state: StateCore) -> None:
    """HTML shown as written (Rich would drop it): a block becomes a paragraph of its
    lines, inline HTML text; ``<br>`` a line break; comments stay hidden."""
    out: list[Token] = []
    for token in state.tokens:
        if token.type == "html_block":
            if _is_comment(token.content):
                continue
            out.append(_token("paragraph_open", "p", 1, token))
            inline = _token("inline", "", 0, token)
            inline.content = token.content.rstrip("\n")
            inline.children = []
            for number, line in enumerate(inline.content.split("\n")):
                if number:
                    inline.children.append(_token("hardbreak", "br", 0, token))
                inline.children.extend(_html_inline_text(line, token))
            out.append(inline)
            out.append(_token("paragraph_close", "p", -1, token))
            continue
        if token.type == "inline" and token.children:
            children: list[Token] = []
            for child in token.children:
                if child.type != "html_inline":
                    children.append(child)
                elif not _is_comment(child.content):
                    children.extend(_html_inline_text(child.content, child))
            token.children = children
        out.append(token)
    state.tokens = out


def _html_inline_text(html: str, like: Token) -> list[Token]:
    if _BR.fullmatch(html.strip()):
        return [_token("hardbreak", "br", 0, like)]
    text = _token("text", "", 0, like)
    text.content = html
    return [text]


def _token(kind: str, tag: str, nesting, like: Token) -> Token:
    token = Token(kind, tag, nesting)
    token.map, token.level, token.block = like.map, like.level, like.block
    return token


def obsidian_parser() -> MarkdownIt:
    """A new parser with the rules above (one per thread: markdown-it keeps state)."""
    md = MarkdownIt("commonmark")
    rules, rules2 = md.inline.ruler, md.inline.ruler2
    md.inline = _Inline()
    md.inline.ruler, md.inline.ruler2 = rules, rules2
    md.enable(["strikethrough", "table"])
    md.inline.ruler.before("emphasis", "math", _math_inline)
    md.inline.ruler.before("emphasis", "highlight", _highlight)
    md.inline.ruler2.before("emphasis", "highlight", _highlight_post)
    md.block.ruler.before(
        "paragraph", "math_block", _math_block, {"alt": ["paragraph", "blockquote", "list"]}
    )
    md.core.ruler.after("block", "callout", _callouts)
    md.core.ruler.after("inline", "html_text", _html_as_text)
    return md
