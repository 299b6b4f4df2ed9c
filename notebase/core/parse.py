"""Bytes on disk -> Note: frontmatter, tags, links, footnotes, citations, questions, results.

``parse_note`` never raises: a file that cannot be read as a note comes back with
``valid=False`` and a one-line reason in ``errors``; everything that can still be read
from it (links, title ...) is read.

How it stays fast (10,000 notes in a few seconds): one markdown-it-py *block* parse per note
gives the structure (headings, lists, code blocks, footnote definitions) with line maps;
markdown-it's own inline parser is switched off, and the text of each inline block is
scanned for links by `notebase.core.links` (code spans blanked) and for tags with a
precompiled regex. Where each link sits in the body is recorded (`Link.start`/``end``) so
that nothing has to find it again. YAML is only parsed when the file starts with ``---``
(`notebase.core.frontmatter`).

Over 400 lines because that one walk (`_BodyScanner`) is the speed of a load: it fills
every part of a note from the same tokens; links, citations, markdown blocks and
frontmatter are read by their own modules.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import PurePosixPath

from notebase.config import VaultConfig
from notebase.core.citation import parse_citation
from notebase.core.citekeys import citekeys
from notebase.core.frontmatter import load_frontmatter, read_fields
from notebase.core.links import FootnoteSpan, inline_links, mask_code_spans
from notebase.core.markdown_blocks import (
    block_parser,
    code_ranges,
    heading_text,
    normalize_newlines,
    split_frontmatter,
)
from notebase.core.note import (
    Footnote,
    Link,
    Note,
    Question,
    ResultsBlock,
)
from notebase.core.results_block import block_summary, scan_lines

_DEFAULT_CONFIG = VaultConfig()

# A tag starts after whitespace, an opening bracket or the start of the text: not inside
# a URL (``/#x``), an entity (``&#39;``) or a word (``C#``).
_TAG = re.compile(r"(?<![^\s(\[{])#([\w/-]*\w[\w/-]*)")
_TAG_HAS_NON_DIGIT = re.compile(r"[^\d/_-]")
_TAG_CHARS = re.compile(r"[\w/-]+")
_FOOTNOTE_DEF_PREFIX = re.compile(r"^\s*\[\^[^\]]*\]:[ \t]?")
_TASK_PREFIX = re.compile(r"^\[[ xX/\-]\]\s+")

UNREADABLE = "cannot read the file"
"""How an unreadable file's error starts (a read error is not cached: the file may heal)."""


def is_tag_name(text: str) -> bool:
    """Whether ``text`` is a tag as the parser reads one after ``#`` (``_TAG``, the ``/`` at
    either end stripped, not only digits): word characters, ``/`` (nesting) and ``-``, with a
    character that is none of digit, ``_``, ``-`` and ``/`` (so a letter), and no ``/`` at
    either end. ``메타러닝``, ``ml/meta`` and ``2024년`` are tags; ``2024``, ``a b`` and
    ``/ml`` are not. Linear: one character class, no backtracking between quantifiers.
    """
    return (
        _TAG_CHARS.fullmatch(text) is not None
        and not text.startswith("/")
        and not text.endswith("/")
        and _TAG_HAS_NON_DIGIT.search(text) is not None
    )


def invalid_note(path: str, error: str) -> Note:
    """The note that stands for a file that could not be read or parsed."""
    return Note(path=path, title=PurePosixPath(path).stem, errors=[error], valid=False)


def parse_note(path: str, data: bytes, config: VaultConfig | None = None) -> Note:
    """Parse one file's bytes; never raises (a broken note is returned with ``valid=False``)."""
    path = unicodedata.normalize("NFC", path)
    try:
        return _parse(path, data, config or _DEFAULT_CONFIG)
    except Exception as exc:  # a bug here must not stop the other notes loading
        return invalid_note(path, f"could not parse the note: {type(exc).__name__}: {exc}")


def _parse(path: str, data: bytes, config: VaultConfig) -> Note:
    errors: list[str] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.append(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "shown with replacement characters"
        )
        text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    text = normalize_newlines(text)
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")

    yaml_text, body, line_offset = split_frontmatter(text)
    meta: dict = {}
    if yaml_text is not None and yaml_text.strip():
        meta, error = load_frontmatter(yaml_text)
        if error:
            errors.append(error)

    note = Note(path=path, title="", frontmatter=meta, body=body, errors=errors)
    read_fields(note, meta)
    _BodyScanner(note, config, line_offset).scan()
    if not note.title:
        note.title = PurePosixPath(path).stem
    note.valid = not errors
    return note


@dataclass(slots=True)
class _PendingQuestion:
    """A question list item seen while walking tokens; its text comes from the next
    inline token, its experiments from the links within its lines."""

    number: int
    first_line: int
    last_line: int
    heading: str
    text: str | None = None


@dataclass(slots=True)
class _BodyScanner:
    """Walks the block tokens of one note once, filling in the note."""

    note: Note
    config: VaultConfig
    line_offset: int
    """File lines before the body (frontmatter), added to token line numbers."""
    reference_counts: dict[str, int] = field(default_factory=dict)
    code_lines: list[tuple[int, int]] = field(default_factory=list)
    questions: list[_PendingQuestion] = field(default_factory=list)
    line_starts: list[int] = field(default_factory=list)
    """Offset in the body of each line's start (and one past the end); see `_find_on_line`."""
    cursor: tuple[int, int] = (0, 0)
    """A body offset and its line, where `_find_on_line` searches on from."""

    def scan(self) -> None:
        note = self.note
        body = note.body
        # The block parser only: inline parsing is ours (see the module docstring).
        tokens = block_parser().parse(body, {})
        question_heading = self.config.question_heading_regex()
        tags = list(note.tags)
        seen_tags = {t.casefold() for t in tags}
        definitions: list[tuple[str, int, int]] = []

        in_questions = False
        questions_heading = ""
        list_depth = 0
        current: _PendingQuestion | None = None
        heading_level = 0
        for token in tokens:
            kind = token.type
            if kind == "inline":
                line = self.line_offset + (token.map[0] if token.map else 0) + 1
                self._scan_inline(token.content, line, tags, seen_tags)
                if current is not None and current.text is None:
                    current.text = token.content
                if heading_level:
                    text = heading_text(token.content)
                    note.headings.append(text)
                    if heading_level == 1 and not note.title:
                        note.title = unicodedata.normalize("NFC", text)
                    # A questions section ends at the next heading, a sub-heading too
                    # (its lists are steps, not questions), unless that heading is a
                    # questions heading itself.
                    in_questions = question_heading.search(text) is not None
                    questions_heading = text if in_questions else ""
                    heading_level = 0
            elif kind == "heading_open":
                heading_level = int(token.tag[1:]) if token.tag[1:].isdigit() else 1
                current = None
            elif kind in ("bullet_list_open", "ordered_list_open"):
                list_depth += 1
            elif kind in ("bullet_list_close", "ordered_list_close"):
                list_depth = max(0, list_depth - 1)
            elif kind == "list_item_open":
                if in_questions and list_depth == 1 and token.map:
                    current = _PendingQuestion(
                        number=len(self.questions) + 1,
                        first_line=self.line_offset + token.map[0] + 1,
                        last_line=self.line_offset + token.map[1],
                        heading=questions_heading,
                    )
                    self.questions.append(current)
            elif kind == "list_item_close":
                if list_depth == 1:
                    current = None
            elif kind == "footnote_reference_open" and token.map:
                definitions.append((str(token.meta.get("label", "")), token.map[0], token.map[1]))
                self._definition_span(definitions[-1][0], token.map[0])

        note.tags = tags
        self.code_lines = code_ranges(tokens)
        self._footnotes(definitions)
        self._results_blocks()
        self._questions()

    def _scan_inline(self, content: str, line: int, tags: list[str], seen_tags: set[str]) -> None:
        if "[[" not in content and "](" not in content and "[^" not in content:
            text = mask_code_spans(content)  # most headings, tasks: nothing to place
        else:
            # Offsets into the body: most texts (a paragraph, a one-line list item or
            # heading) stand as one piece on their lines; the rest (lines cut by
            # markdown-it: quotes, indented continuations) are placed line by line.
            first = line - self.line_offset - 1
            base = self._find_on_line(content, first)
            links, refs, text = inline_links(content, line, max(base, 0))
            if base < 0 and (links or refs):
                self._place(content, first, links, refs)
            if links:
                self.note.links.extend(links)
            if refs:
                spans = self.note.footnote_spans
                counts = self.reference_counts
                for span in refs:
                    if span[1]:
                        spans.append(span)
                    counts[span[2]] = counts.get(span[2], 0) + 1
        if "@" in text:  # pandoc citations, outside code and links
            self.note.citekeys.extend(citekeys(text, line))
        if "#" in text:
            for match in _TAG.finditer(text):
                tag = match.group(1).strip("/")
                if not tag or not _TAG_HAS_NON_DIGIT.search(tag):
                    continue
                tag = unicodedata.normalize("NFC", tag)
                key = tag.casefold()
                if key not in seen_tags:
                    seen_tags.add(key)
                    tags.append(tag)

    def _find_on_line(self, text: str, line: int) -> int:
        """Where ``text`` stands in the body, starting on body line ``line``; -1 if not there.

        Tokens come in body order, so the search goes on from the last place found and
        counts the lines it passes; once that fails (the text is cut by markdown-it, or an
        earlier copy sits in code) it searches line by line. Linear either way."""
        body = self.note.body
        if not self.line_starts:
            cursor, cursor_line = self.cursor
            at = body.find(text, cursor) if cursor_line <= line else -1
            if at >= 0 and cursor_line + body.count("\n", cursor, at) == line:
                self.cursor = at, line
                return at
        starts = self._line_starts()
        after = line + text.count("\n") + 1
        return body.find(text, starts[line], starts[after]) if after < len(starts) else -1

    def _line_starts(self) -> list[int]:
        """Offset of each body line's start, plus one past the body (computed once, and
        only for notes whose links are not all found on the way)."""
        if not self.line_starts:
            lines = self.note.body.split("\n")
            self.line_starts = [0, *accumulate(map((1).__add__, map(len, lines)))]
        return self.line_starts

    def _place(self, content: str, first: int, links: list[Link], refs: list[FootnoteSpan]) -> None:
        """Move the offsets of an inline token's links and references from its ``content``
        (whose first line is body line ``first``) to the body."""
        place = self._placer(content, first)
        for link in links:
            link.start, link.end = place(link.start, link.end)
        refs[:] = [(*place(start, end), label) for start, end, label in refs]

    def _placer(self, content: str, first: int):
        """Maps ``(start, end)`` in an inline token's ``content`` to ``(start, end)`` in the
        body; ``first`` is the body line of its first line. markdown-it cuts each line's
        container prefix (indent, ``>``, list marker, ``#``) and strips the whole, so content
        line i is a piece of body line first+i: its end, or (headings closed by ``#``) its
        first occurrence. ``(0, 0)`` when the text is not the same in the body."""
        body = self.note.body
        starts = self._line_starts()
        content_starts = [0, *accumulate(map((1).__add__, map(len, content.split("\n"))))]
        shifts: dict[int, int | None] = {}

        def shift(i: int) -> int | None:
            if i not in shifts:
                shifts[i] = None
                piece = content[content_starts[i] : content_starts[i + 1] - 1]
                stripped = piece.strip()
                k = first + i
                if stripped and k + 1 < len(starts):
                    line = body[starts[k] : starts[k + 1] - 1]
                    kept = line.rstrip()
                    at = (
                        len(kept) - len(stripped)
                        if kept.endswith(stripped)
                        else line.find(stripped)
                    )
                    if at >= 0:
                        lead = len(piece) - len(piece.lstrip())
                        shifts[i] = starts[k] + at - lead - content_starts[i]
            return shifts[i]

        def place(start: int, end: int) -> tuple[int, int]:
            offset = shift(bisect.bisect_right(content_starts, start) - 1)
            if (
                offset is None
                or start + offset < 0
                or body[start + offset : end + offset] != content[start:end]
            ):
                return 0, 0
            return start + offset, end + offset

        return place

    def _definition_span(self, label: str, line: int) -> None:
        """Record where the ``[^label]:`` that opens a definition on body line ``line`` is."""
        opener = f"[^{label}]:"
        at = self._find_on_line(opener, line)
        if at >= 0:
            self.note.footnote_spans.append((at, at + len(opener), label))

    def _footnotes(self, definitions: list[tuple[str, int, int]]) -> None:
        note = self.note
        if not definitions and not self.reference_counts:
            return
        lines = note.body.split("\n")
        defined: set[str] = set()
        for label, start, end in definitions:
            if label in defined:
                continue  # a second definition of a label is ignored, like markdown-it does
            defined.add(label)
            text = _definition_text(lines[start:end])
            note.footnotes.append(
                Footnote(
                    label=label,
                    text=text,
                    references=self.reference_counts.get(label, 0),
                    citation=parse_citation(text),
                    line=self.line_offset + start + 1,
                )
            )
        note.undefined_footnotes = [
            label for label in self.reference_counts if label not in defined
        ]
        note.unused_footnotes = [f.label for f in note.footnotes if f.references == 0]

    def _results_blocks(self) -> None:
        """Complete blocks only, by the one grammar (`notebase.core.results_block`); broken
        markers go to ``results_problems`` and answer nothing."""
        note = self.note
        if "notebase:results" not in note.body:
            return
        offset = self.line_offset
        lines = note.body.split("\n")
        found = scan_lines(lines, self.code_lines, line_offset=offset)
        note.results_blocks = [
            ResultsBlock(
                experiment=block.experiment,
                run_id=block.attrs.get("run") or None,
                spec_hash=block.attrs.get("spec") or None,
                answers=block.answers,
                status=block.status,
                summary=block_summary(lines[block.start + 1 : block.end]),
                claims=block.claims,
                start_line=offset + block.start + 1,
                end_line=offset + block.end + 1,
            )
            for block in found.blocks
        ]
        note.results_problems = [(problem.line, problem.message) for problem in found.problems]

    def _questions(self) -> None:
        note = self.note
        if not self.questions:
            return
        answered_by: dict[int, ResultsBlock] = {}  # an answered block wins over inconclusive
        for block in note.results_blocks:
            for number in block.answers:
                if answered_by.get(number) is None or block.status == "answered":
                    answered_by[number] = block
        experiment_links = sorted(
            (link for link in note.links if link.experiment), key=lambda link: link.line
        )
        experiment_lines = [link.line for link in experiment_links]
        # A results block placed under the questions heading is no question: its findings
        # are list items too. The others are numbered by their place without them.
        inside = [(block.start_line, block.end_line) for block in note.results_blocks]
        pendings = [
            q for q in self.questions
            if not any(start <= q.first_line <= end for start, end in inside)
        ]
        for number, pending in enumerate(pendings, start=1):
            pending.number = number
        for pending in pendings:
            text = " ".join(part.strip() for part in (pending.text or "").split("\n")).strip()
            text = _TASK_PREFIX.sub("", text)
            first = bisect.bisect_left(experiment_lines, pending.first_line)
            last = bisect.bisect_right(experiment_lines, pending.last_line)
            experiments = list(dict.fromkeys(x.experiment for x in experiment_links[first:last]))
            block = answered_by.get(pending.number)
            note.questions.append(
                Question(
                    id=f"{note.path}#q{pending.number}",
                    number=pending.number,
                    text=text,
                    experiments=experiments,
                    status=block.status if block else "open",
                    answered_by=block.run_id if block else None,
                    summary=block.summary if block else None,
                    line=pending.first_line,
                    heading=pending.heading,
                )
            )


def _definition_text(lines: list[str]) -> str:
    """A footnote definition's own text: label removed, continuation indent removed."""
    if not lines:
        return ""
    out = [_FOOTNOTE_DEF_PREFIX.sub("", lines[0], count=1).rstrip()]
    for line in lines[1:]:
        if line.startswith("    "):
            line = line[4:]
        elif line.startswith("\t"):
            line = line[1:]
        out.append(line.rstrip())
    while out and not out[-1]:
        out.pop()
    while out and not out[0]:
        out.pop(0)
    return "\n".join(out)
