"""Bytes on disk -> Note: frontmatter, tags, links, footnotes, citations, questions, results.

``parse_note`` never raises: a file that cannot be read as a note comes back with
``valid=False`` and a one-line reason in ``errors``; everything that can still be read
from it (links, title ...) is read.

How it stays fast (10,000 notes in a few seconds): one markdown-it-py *block* parse per note
gives the structure (headings, lists, code blocks, footnote definitions) with line maps;
markdown-it's own inline parser is switched off, and the text of each inline block is
scanned with a few precompiled regexes after blanking its code spans. YAML is only parsed
when the file starts with a ``---`` line.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote

from frontmatter.default_handlers import YAMLHandler

from notebase.config import VaultConfig
from notebase.core.citation import parse_citation
from notebase.core.markdown_blocks import (
    BLOCK_PARSER,
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
    experiment_link_name,
)
from notebase.core.results_block import scan_lines

# The block parser only: inline parsing is ours (see the module docstring).
_MD = BLOCK_PARSER
_YAML = YAMLHandler()
_DEFAULT_CONFIG = VaultConfig()

_WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
# [label](dest "title") with dest either <...> or without spaces (balanced parens allowed).
_MD_LINK = re.compile(
    r"(!?)\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
    r"\(\s*(<[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)"
    r"(?:\s+(?:\"[^\"\n]*\"|'[^'\n]*'|\([^()\n]*\)))?\s*\)"
)
# A tag starts after whitespace, an opening bracket or the start of the text: not inside
# a URL (``/#x``), an entity (``&#39;``) or a word (``C#``).
_TAG = re.compile(r"(?<![^\s(\[{])#([\w/-]*\w[\w/-]*)")
_TAG_HAS_NON_DIGIT = re.compile(r"[^\d/_-]")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]\s]+)\]")
_FOOTNOTE_DEF_PREFIX = re.compile(r"^\s*\[\^[^\]]*\]:[ \t]?")
_TASK_PREFIX = re.compile(r"^\[[ xX/\-]\]\s+")
_URL_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*:")
_CODE_SPAN_TICKS = re.compile(r"`+")
_NOT_NEWLINE = re.compile(r"[^\n]")

ATTACHMENT_EXTENSIONS = frozenset(
    """png jpg jpeg gif bmp svg webp avif tif tiff ico heic
    mp3 wav m4a ogg oga opus 3gp flac aac webm mp4 m4v mkv mov ogv avi
    pdf canvas base csv tsv json xml yaml yml toml txt log zip gz tar 7z
    doc docx xls xlsx ppt pptx odt ods epub html htm excalidraw ipynb py""".split()
)


def is_attachment_target(target: str) -> bool:
    """True when ``target`` names a non-note file by its extension (``fig.png``)."""
    name = target.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return dot > 0 and name[dot + 1 :].lower() in ATTACHMENT_EXTENSIONS


UNREADABLE = "cannot read the file"
"""How an unreadable file's error starts (a read error is not cached: the file may heal)."""


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
        meta, error = _load_yaml(yaml_text)
        if error:
            errors.append(error)

    note = Note(path=path, title="", frontmatter=meta, body=body, errors=errors)
    _read_frontmatter_fields(note, meta)
    _BodyScanner(note, config, line_offset).scan()
    if not note.title:
        note.title = PurePosixPath(path).stem
    note.valid = not errors
    return note


def _load_yaml(yaml_text: str) -> tuple[dict, str | None]:
    import yaml  # already imported by python-frontmatter; here for the error types

    try:
        loaded = _YAML.load(yaml_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f" at line {mark.line + 2}" if mark is not None else ""
        return {}, f"broken YAML frontmatter{where}: {problem}"
    except Exception as exc:  # recursion, odd tags: still just this note's problem
        return {}, f"broken YAML frontmatter: {type(exc).__name__}: {exc}"
    if loaded is None:
        return {}, None
    if not isinstance(loaded, dict):
        return {}, f"frontmatter is not a list of 'key: value' lines (got {type(loaded).__name__})"
    from notebase.core.yaml_aliases import alias_problem

    problem = alias_problem(loaded)  # an alias bomb or a value containing itself
    if problem is not None:
        return {}, problem
    return {str(key): value for key, value in loaded.items()}, None


def _scalars(value) -> list[str]:
    """A frontmatter value as a list of strings (list, single value or nothing)."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple | set) else [value]
    return [
        str(item).strip()
        for item in items
        if item is not None and not isinstance(item, dict | list)
    ]


def _read_frontmatter_fields(note: Note, meta: dict) -> None:
    if not meta:
        return
    title = meta.get("title")
    if title is not None and not isinstance(title, dict | list) and str(title).strip():
        note.title = unicodedata.normalize("NFC", str(title).strip())
    tags: list[str] = []
    for item in _scalars(meta.get("tags", meta.get("tag"))):
        tags.extend(part.lstrip("#") for part in re.split(r"[,\s]+", item))
    note.tags = [unicodedata.normalize("NFC", t).strip("/") for t in tags if t.strip("#/")]
    note.aliases = [
        unicodedata.normalize("NFC", a)
        for a in _scalars(meta.get("aliases", meta.get("alias")))
        if a
    ]
    created = meta.get("created")
    if created is not None and not isinstance(created, dict | list):
        note.created = created.isoformat() if hasattr(created, "isoformat") else str(created)
    note.experiments = [e.removesuffix(".toml") for e in _scalars(meta.get("experiments")) if e]


def mask_code_spans(text: str) -> str:
    """``text`` with the inside of inline code spans replaced by spaces (same length).

    CommonMark: a run of N backticks opens a span closed by the next run of exactly N.
    """
    if "`" not in text:
        return text
    out = []
    pos = 0
    runs = list(_CODE_SPAN_TICKS.finditer(text))
    i = 0
    while i < len(runs):
        opening = runs[i]
        width = len(opening.group())
        closing_index = next(
            (j for j in range(i + 1, len(runs)) if len(runs[j].group()) == width), None
        )
        if closing_index is None:
            i += 1
            continue
        closing = runs[closing_index]
        out.append(text[pos : opening.start()])
        span = text[opening.start() : closing.end()]
        out.append(_NOT_NEWLINE.sub(" ", span))
        pos = closing.end()
        i = closing_index + 1
    out.append(text[pos:])
    return "".join(out)


@dataclass(slots=True)
class _PendingQuestion:
    """A question list item seen while walking tokens; its text comes from the next
    inline token, its experiments from the links within its lines."""

    number: int
    first_line: int
    last_line: int
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

    def scan(self) -> None:
        note = self.note
        body = note.body
        tokens = _MD.parse(body, {})
        question_heading = self.config.question_heading_regex()
        tags = list(note.tags)
        seen_tags = {t.casefold() for t in tags}
        definitions: list[tuple[str, int, int]] = []

        in_questions = False
        questions_level = 0
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
                    if question_heading.search(text):
                        in_questions, questions_level = True, heading_level
                    elif in_questions and heading_level <= questions_level:
                        in_questions = False
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
                    )
                    self.questions.append(current)
            elif kind == "list_item_close":
                if list_depth == 1:
                    current = None
            elif kind == "footnote_reference_open" and token.map:
                definitions.append((str(token.meta.get("label", "")), token.map[0], token.map[1]))

        note.tags = tags
        self.code_lines = code_ranges(tokens)
        self._footnotes(definitions)
        self._results_blocks()
        self._questions()

    def _scan_inline(self, content: str, line: int, tags: list[str], seen_tags: set[str]) -> None:
        text = mask_code_spans(content)
        if "[[" in text:
            text = _WIKILINK.sub(self._link_collector(text, line, _wikilink), text)
        if "](" in text:
            text = _MD_LINK.sub(self._link_collector(text, line, _markdown_link), text)
        if "[^" in text:
            counts = self.reference_counts
            for match in _FOOTNOTE_REF.finditer(text):
                label = match.group(1)
                counts[label] = counts.get(label, 0) + 1
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

    def _link_collector(self, text: str, first_line: int, make_link):
        """A ``re.sub`` callback that records each link (with its file line) and blanks it
        out, so later scans (tags) do not see it. Linear in the text: the line number is
        counted on from the previous match, never from the start."""
        links = self.note.links
        state = [0, first_line]  # position counted up to, its line

        def collect(match: re.Match[str]) -> str:
            start = match.start()
            state[1] += text.count("\n", state[0], start)
            state[0] = start
            link = make_link(match, state[1])
            if link is not None:
                links.append(link)
            matched = match.group()
            return _NOT_NEWLINE.sub(" ", matched) if "\n" in matched else " " * len(matched)

        return collect

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
        found = scan_lines(note.body.split("\n"), self.code_lines, line_offset=offset)
        note.results_blocks = [
            ResultsBlock(
                experiment=block.experiment,
                run_id=block.attrs.get("run") or None,
                spec_hash=block.attrs.get("spec") or None,
                answers=block.answers,
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
        answered_by: dict[int, str | None] = {}
        for block in note.results_blocks:
            for number in block.answers:
                answered_by[number] = block.run_id
        experiment_links = sorted(
            (link for link in note.links if link.experiment), key=lambda link: link.line
        )
        experiment_lines = [link.line for link in experiment_links]
        for pending in self.questions:
            text = " ".join(part.strip() for part in (pending.text or "").split("\n")).strip()
            text = _TASK_PREFIX.sub("", text)
            first = bisect.bisect_left(experiment_lines, pending.first_line)
            last = bisect.bisect_right(experiment_lines, pending.last_line)
            experiments = list(dict.fromkeys(x.experiment for x in experiment_links[first:last]))
            answered = pending.number in answered_by
            note.questions.append(
                Question(
                    id=f"{note.path}#q{pending.number}",
                    number=pending.number,
                    text=text,
                    experiments=experiments,
                    status="answered" if answered else "open",
                    answered_by=answered_by.get(pending.number),
                    line=pending.first_line,
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


def _wikilink(match: re.Match[str], line: int) -> Link | None:
    inner = match.group(2)
    target_part, _, label = inner.partition("|")
    target_part = target_part.removesuffix("\\")  # [[a\|b]] inside a table
    target, hash_sign, heading = target_part.partition("#")
    target = unicodedata.normalize("NFC", target.strip())
    heading = heading.strip() if hash_sign else None
    if not target and not heading:
        return None
    link = Link(
        target=target,
        heading=heading or None,
        label=label.strip() or None,
        embed=bool(match.group(1)),
        kind="wiki",
        line=line,
    )
    name = experiment_link_name(target)
    if name:
        link.experiment = name
        return link
    link.is_attachment = is_attachment_target(target)
    return link


def _markdown_link(match: re.Match[str], line: int) -> Link | None:
    destination = match.group(3).strip()
    if destination.startswith("<") and destination.endswith(">"):
        destination = destination[1:-1].strip()
    if not destination or destination.startswith("#") or _URL_SCHEME.match(destination):
        return None
    path_part, hash_sign, heading = destination.partition("#")
    target = unicodedata.normalize("NFC", unquote(path_part))
    attachment = is_attachment_target(target)
    if not attachment and not target.lower().endswith(".md"):
        return None  # only links to notes and files count; other links are web-ish
    return Link(
        target=target,
        heading=unquote(heading) if hash_sign and heading else None,
        label=match.group(2).strip() or None,
        embed=bool(match.group(1)),
        kind="markdown",
        line=line,
        is_attachment=attachment,
    )
