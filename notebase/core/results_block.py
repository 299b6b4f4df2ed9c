"""The results block's grammar: what a marker is, how blocks and broken markers are found in
a note's lines. The parser, the table reader and the note writer all read blocks through here;
`notebase.core.results_edit` places and replaces a block in a note's bytes.

A results block is a run of whole lines between two markers::

    <!-- notebase:results experiment=NAME run=RUN_ID spec=HASH answers=1,3 hash=... -->

    | algorithm | inner steps | s/iter | ... |

    <!-- /notebase:results -->

The grammar (one rule, every reader agrees):

- A marker is one whole line: any indentation (spaces, tabs), ``<!--``, the word
  ``notebase:results`` (opening) or ``/notebase:results`` (closing) as the comment's first
  word, then for an opening marker ``key=value`` words (no spaces in a value; ``experiment``
  is required), then ``-->`` and nothing but whitespace after it. A block indented under a list
  item is a block; replacing it keeps the opening marker's indentation on every non-blank line
  of the new block, and its ``hash=`` is taken of the lines with that indentation removed.
- A line whose comment starts with that word but is not a whole marker -- text after ``-->``,
  no ``-->`` on the line (a marker spread over two lines), a word that is not ``key=value``,
  no ``experiment`` -- is a *broken marker*: it makes no block. So are an opening marker
  without its closing one (before the next opening or the end) and a closing marker without
  an opening one. Two complete blocks for one experiment are a problem for that experiment,
  and so is a block whose lines no longer match its ``hash=`` (edited by hand: the writer
  does not overwrite what the user wrote).
  Problems are reported by the parser (`Note.results_problems`, ``notebase check``) and make
  the writer refuse to edit the note (the results go to a sidecar), so a question is never
  shown "answered" by a block the writer cannot see, and no second block is ever made.
- What a block says for the parser is in its opening marker: ``answers=`` (the questions it
  addresses), ``status=answered|inconclusive`` (whether its run found something
  conclusively; a block without ``status=`` predates findings and counts as answered) and
  ``claims=ID:VERDICT,...`` (each claim's verdict: ``supported``, ``not-supported``,
  ``inconclusive``). Its one-line answer is its first non-blank line when that reads
  ``**Label:** text`` (`block_summary`).
- A comment that merely mentions the word (``<!-- TODO: explain notebase:results -->``), a
  marker inside a fenced or indented code block (`notebase.core.markdown_blocks`), and one
  after a block-quote ``>`` are not markers and not problems.

"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from notebase.core.markdown_blocks import in_ranges, normalize_newlines, outline

OPEN_WORD = "notebase:results"
CLOSE_WORD = "/notebase:results"
CLOSE_MARKER = "<!-- /notebase:results -->"

_KEY = re.compile(r"[A-Za-z][\w-]*")


VERDICTS = ("supported", "not-supported", "inconclusive")
"""A claim's verdict, as the marker's ``claims=`` spells it."""
_SUMMARY = re.compile(r"\*\*[^*]{1,40}:\*\*\s+(\S.*)")


def block_summary(body: Iterable[str]) -> str | None:
    """A block's one-line answer: its first non-blank line when that is ``**Label:** text``
    (the text), else None (a block from before findings)."""
    for line in body:
        if line.strip():
            match = _SUMMARY.fullmatch(line.strip())
            return match.group(1).strip() if match else None
    return None


def block_hash(body: Iterable[str]) -> str:
    """Digest of a block's lines (terminators and the block's indentation excluded, so CRLF
    conversion or indenting the whole block is not an edit)."""
    return hashlib.sha256("\n".join(body).encode("utf-8")).hexdigest()[:12]


# --------------------------------------------------------------------------- markers


@dataclass(slots=True)
class Marker:
    """One marker line that parses."""

    closing: bool
    attrs: dict[str, str]
    """Opening marker's ``key=value`` words (empty for a closing marker)."""
    indent: str
    """The line's leading spaces and tabs."""


def read_marker(line: str) -> Marker | str | None:
    """A marker, the reason a would-be marker is broken (a string), or None for any other
    line. ``line`` has no line terminator."""
    if OPEN_WORD not in line:
        return None
    stripped = line.lstrip(" \t")
    if not stripped.startswith("<!--"):
        return None
    inner, closed, after = stripped[4:].partition("-->")
    words = inner.split()
    if not words or words[0] not in (OPEN_WORD, CLOSE_WORD):
        return None  # an ordinary comment that mentions the word
    if not closed:
        return "the marker does not end on its line (no `-->`)"
    if after.strip():
        return "text after the marker's `-->`"
    indent = line[: len(line) - len(stripped)]
    if words[0] == CLOSE_WORD:
        if len(words) > 1:
            return "the closing marker takes no attributes"
        return Marker(True, {}, indent)
    attrs: dict[str, str] = {}
    for word in words[1:]:
        key, equals, value = word.partition("=")
        if not equals or not _KEY.fullmatch(key):
            return f"`{word}` is not key=value"
        attrs[key] = value
    if not attrs.get("experiment"):
        return "the marker names no experiment"
    return Marker(False, attrs, indent)


def _dedent(line: str, indent: str) -> str:
    if line.startswith(indent):
        return line[len(indent) :]
    return line if line.strip() else ""


# --------------------------------------------------------------------------- finding


@dataclass(slots=True)
class RenderedBlock:
    """A results block ready to be placed: marker attributes and the lines between markers."""

    experiment: str
    """The experiment it belongs to (one block per experiment and note)."""
    attrs: dict[str, str]
    """Opening-marker attributes after ``experiment`` (``run``, ``spec``, ``answers`` ...);
    values contain no spaces. ``hash`` is added when the block is rendered into lines."""
    body: list[str]
    """The lines between the markers, without line terminators (blank separators included)."""

    def content_hash(self) -> str:
        return block_hash(self.body)

    def lines(self) -> list[str]:
        """Opening marker, body, closing marker: the whole block, without terminators."""
        attrs = {"experiment": self.experiment, **self.attrs, "hash": self.content_hash()}
        opening = f"<!-- {OPEN_WORD} " + " ".join(f"{k}={v}" for k, v in attrs.items()) + " -->"
        return [opening, *self.body, CLOSE_MARKER]


@dataclass(slots=True)
class FoundBlock:
    """A complete results block found in a note's lines."""

    experiment: str
    attrs: dict[str, str]
    start: int
    """0-based index of the opening-marker line (in the lines that were scanned)."""
    end: int
    """0-based index of the closing-marker line."""
    body_hash: str
    """``block_hash`` of the lines between the markers as they are now (indent removed)."""
    indent: str = ""
    """The opening marker's indentation."""

    @property
    def edited(self) -> bool:
        """True when the lines no longer match the ``hash=`` written with them."""
        return self.attrs.get("hash") != self.body_hash

    @property
    def answers(self) -> list[int]:
        """The question numbers of ``answers=1,3`` (words that are not numbers are skipped)."""
        parts = (part.strip() for part in self.attrs.get("answers", "").split(","))
        return [int(part) for part in parts if part.isascii() and part.isdigit()]

    @property
    def status(self) -> str:
        """``answered`` or ``inconclusive`` (``status=``; none: a block from before findings,
        answered)."""
        return "inconclusive" if self.attrs.get("status") == "inconclusive" else "answered"

    @property
    def claims(self) -> list[tuple[str, str]]:
        """``(claim id, verdict)`` of ``claims=ID:VERDICT,...`` (malformed words skipped)."""
        pairs = []
        for word in self.attrs.get("claims", "").split(","):
            claim, colon, verdict = word.partition(":")
            if colon and claim and verdict in VERDICTS:
                pairs.append((claim, verdict))
        return pairs


@dataclass(slots=True)
class MarkerProblem:
    """Something wrong with a note's results markers, found while scanning."""

    line: int
    """1-based line in the file."""
    message: str
    experiment: str | None = None
    """Set when only that experiment's block is affected (two blocks for it)."""

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(slots=True)
class BlockScan:
    blocks: list[FoundBlock]
    problems: list[MarkerProblem]


def scan_lines(
    lines: Sequence[str],
    code: Sequence[tuple[int, int]],
    *,
    start: int = 0,
    line_offset: int = 0,
) -> BlockScan:
    """The blocks and problems of ``lines`` (no terminators) from index ``start`` on.

    ``code`` holds sorted ``[start, end)`` index ranges of code blocks (ignored);
    ``line_offset`` is added to an index + 1 to give the file line problems name.
    """
    blocks: list[FoundBlock] = []
    problems: list[MarkerProblem] = []
    open_at: int | None = None
    opening: Marker | None = None
    for index in range(start, len(lines)):
        text = lines[index]
        if OPEN_WORD not in text or in_ranges(code, index):
            continue
        marker = read_marker(text)
        if marker is None:
            continue
        file_line = line_offset + index + 1
        if isinstance(marker, str):
            problems.append(MarkerProblem(file_line, f"broken results marker: {marker}"))
        elif not marker.closing:
            if open_at is not None:
                problems.append(
                    MarkerProblem(line_offset + open_at + 1, "results block opened but never closed")
                )
            open_at, opening = index, marker
        elif open_at is None or opening is None:
            problems.append(MarkerProblem(file_line, "results block closed but never opened"))
        else:
            body = [_dedent(line, opening.indent) for line in lines[open_at + 1 : index]]
            blocks.append(
                FoundBlock(
                    experiment=opening.attrs["experiment"],
                    attrs=opening.attrs,
                    start=open_at,
                    end=index,
                    body_hash=block_hash(body),
                    indent=opening.indent,
                )
            )
            open_at = opening = None
    if open_at is not None:
        problems.append(
            MarkerProblem(line_offset + open_at + 1, "results block opened but never closed")
        )
    by_experiment: dict[str, list[FoundBlock]] = {}
    for block in blocks:
        by_experiment.setdefault(block.experiment, []).append(block)
        if block.edited:
            what = (
                "was edited by hand (its hash= does not match)"
                if "hash" in block.attrs
                else "has no hash= (typed by hand?)"
            )
            problems.append(
                MarkerProblem(
                    line_offset + block.start + 1,
                    f"the results block for {block.experiment} {what}; "
                    "its next run writes to a sidecar, not into the note",
                    experiment=block.experiment,
                )
            )
    for name, same in by_experiment.items():
        if len(same) > 1:
            where = ", ".join(str(line_offset + b.start + 1) for b in same)
            problems.append(
                MarkerProblem(
                    line_offset + same[0].start + 1,
                    f"{len(same)} results blocks for {name} (lines {where})",
                    experiment=name,
                )
            )
    return BlockScan(blocks, sorted(problems, key=lambda problem: problem.line))


def scan_body(body: str, *, line_offset: int = 0) -> BlockScan:
    """The blocks of a note's body (the text after its frontmatter), its own code ranges
    found here; indices count body lines."""
    if OPEN_WORD not in body:
        return BlockScan([], [])
    return scan_lines(
        normalize_newlines(body).split("\n"), outline(body).code, line_offset=line_offset
    )
