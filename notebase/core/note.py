"""What one note holds once parsed: plain dataclasses, no behaviour beyond derivation.

This is the contract between parsing, the vault, the search index, the app and the
write-back. Paths are vault-relative POSIX strings (``"ml/maml.md"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXPERIMENT_PREFIX = "experiments/"


def experiment_link_name(target: str) -> str | None:
    """The experiment a wikilink target names (``experiments/NAME``, any case, ``.toml``
    optional), else None. The one rule for the parser and for whatever renders links."""
    if target[: len(EXPERIMENT_PREFIX)].casefold() != EXPERIMENT_PREFIX:
        return None
    return target[len(EXPERIMENT_PREFIX) :].removesuffix(".toml").strip() or None


@dataclass(slots=True)
class Link:
    """A reference from one note to another note, a heading, an attachment or an experiment."""

    target: str
    """The target as written, without heading or label (``""`` for ``[[#heading]]``)."""
    heading: str | None = None
    """The part after ``#`` (``[[note#heading]]``), if any."""
    label: str | None = None
    """The display text (``[[note|label]]`` or ``[label](note.md)``), if any."""
    embed: bool = False
    """True for ``![[...]]`` / ``![](...)``."""
    kind: str = "wiki"
    """``wiki`` for ``[[...]]``, ``markdown`` for ``[...](...)``."""
    line: int = 0
    """1-based line in the file where the link starts."""
    resolved: str | None = None
    """Vault-relative path of the note or attachment it points to; None when broken.
    Filled in by the vault, not the parser."""
    is_attachment: bool = False
    """True when the target names a non-note file (image, PDF ...). Filled in by the parser."""
    experiment: str | None = None
    """Set for ``[[experiments/NAME]]``: the experiment it names; such links are not note links."""
    start: int = 0
    """Offset in ``Note.body`` where the link's text begins (``body[start:end]`` is exactly
    the ``[[...]]`` or ``[...](...)`` as written)."""
    end: int = 0
    """Offset just past the link's text; ``end == 0`` when it has no place in the body (a
    link broken over two lines of a quote or list item, which markdown-it joins)."""


@dataclass(slots=True)
class Citation:
    """A footnote definition read as a bibliographic reference, best effort."""

    authors: list[str] = field(default_factory=list)
    title: str | None = None
    venue: str | None = None
    year: int | None = None


@dataclass(slots=True)
class Footnote:
    """One footnote definition ``[^label]: ...`` with everything that belongs to it."""

    label: str
    text: str
    """The whole definition, continuation lines and quotes included, dedented."""
    references: int = 0
    """How many ``[^label]`` references the note's text makes to it."""
    citation: Citation = field(default_factory=Citation)
    line: int = 0


@dataclass(slots=True)
class Question:
    """An open question: an item of a list under a questions heading."""

    id: str
    """Stable id: ``<note path>#q<number>``."""
    number: int
    """1-based position among the note's questions (not the list marker's digit)."""
    text: str
    experiments: list[str] = field(default_factory=list)
    """Experiments it names inline with ``[[experiments/NAME]]``."""
    status: str = "open"
    """``open``, ``answered`` (a results block names it and its run found something
    conclusively) or ``inconclusive`` (a block names it, its run found nothing conclusive);
    derived, never stored. ``stale`` (the spec changed since) needs the specs: the CLI and
    the app derive it (`notebase.experiments.answers.question_status`)."""
    answered_by: str | None = None
    """The run id of the results block that answers it."""
    summary: str | None = None
    """That block's one-line answer (`notebase.core.results_block.block_summary`)."""
    line: int = 0
    heading: str = ""
    """The questions heading it stands under (its text, as `Note.headings` has it)."""


@dataclass(slots=True)
class ResultsBlock:
    """A generated results block, delimited by notebase's HTML-comment markers.

    ``<!-- notebase:results experiment=NAME run=RUN_ID spec=HASH answers=1,3 -->``
    ... ``<!-- /notebase:results -->``
    """

    experiment: str
    run_id: str | None = None
    spec_hash: str | None = None
    answers: list[int] = field(default_factory=list)
    status: str = "answered"
    """``answered`` or ``inconclusive`` (the marker's ``status=``)."""
    summary: str | None = None
    """The block's one-line answer, when it has findings."""
    claims: list[tuple[str, str]] = field(default_factory=list)
    """``(claim id, verdict)`` from the marker's ``claims=``."""
    start_line: int = 0
    """1-based line of the opening marker."""
    end_line: int = 0
    """1-based line of the closing marker. Only complete blocks are results blocks: a broken
    marker is one of `Note.results_problems` (grammar: `notebase.core.results_block`)."""


@dataclass(slots=True)
class Note:
    """One Markdown file of the vault, parsed. ``errors`` non-empty with ``valid=False``
    means the file could not be read as a note (broken YAML, not UTF-8)."""

    path: str
    title: str
    tags: list[str] = field(default_factory=list)
    """Frontmatter and inline tags, without ``#``, in order of appearance, no duplicates."""
    aliases: list[str] = field(default_factory=list)
    created: str | None = None
    experiments: list[str] = field(default_factory=list)
    """Frontmatter ``experiments``: experiments linked to the note as a whole."""
    frontmatter: dict = field(default_factory=dict)
    body: str = ""
    """The text after the frontmatter (BOM stripped, line endings normalised to \\n)."""
    headings: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    footnotes: list[Footnote] = field(default_factory=list)
    undefined_footnotes: list[str] = field(default_factory=list)
    unused_footnotes: list[str] = field(default_factory=list)
    footnote_spans: list[tuple[int, int, str]] = field(default_factory=list)
    """``(start, end, label)`` in ``body`` order for each footnote reference ``[^label]``
    and each ``[^label]:`` that opens a definition (only those spans end with ``:``);
    offsets into ``body``, outside code, like `Link.start`. Plain tuples: cheap to cache."""
    citekeys: list[tuple[str, int, str, bool]] = field(default_factory=list)
    """``(key, line, locator, bracketed)`` of each pandoc citation (``[@key, p. 4]``,
    ``@key``) in body order, outside code (`notebase.core.citekeys`). Plain tuples: cheap
    to cache."""
    questions: list[Question] = field(default_factory=list)
    results_blocks: list[ResultsBlock] = field(default_factory=list)
    results_problems: list[tuple[int, str]] = field(default_factory=list)
    """``(line, what is wrong)`` for each broken results marker (text after ``-->``, a marker
    over two lines, an opening without its closing ...): no block, and the writer leaves the
    note alone until it is fixed. Plain tuples: cheap to cache."""
    errors: list[str] = field(default_factory=list)
    valid: bool = True
