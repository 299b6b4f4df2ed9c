"""The one place that edits a note: write a run's results block into it, byte-exact.

A results block is a run of whole lines between two HTML-comment markers::

    <!-- notebase:results experiment=NAME run=RUN_ID spec=HASH answers=1,3 date=... hash=... -->

    | algorithm | inner steps | s/iter | ... |
    |---|--:|--:|...|

    Run `RUN_ID` of `NAME` · 2026-11-27 15:10 UTC · device cpu: ... · torch 2.13.0 · commit 0123456789

    Answers question 1, 3.

    ![[attachments/NAME-RUN_ID.png]]

    <!-- /notebase:results -->

Guarantees (each one tested byte for byte):

- Every byte outside the block stays as it was; the frontmatter is never re-serialised.
- The block is made of whole lines and carries its own blank separator lines, so deleting the
  lines from the opening to the closing marker (as an editor does) gives back the note exactly
  as it was before the first run -- also for a note without a final newline: then the newline
  that ends the note's old last line comes with the block, and an editor deleting the block's
  last lines deletes it too.
- Line endings follow the note (CRLF stays CRLF), a UTF-8 BOM stays.
- A new run of the same experiment replaces its block in place; other blocks stay.
- The note is read at write time, not at run start, so edits made during a run survive.
- ``hash=`` in the opening marker is a digest of the block's lines. If the user edited the
  block, or a marker is broken (opening without closing, closing without opening, two blocks
  for one experiment, a marker line that does not parse), nothing is guessed: the note is left
  alone and the results go to ``<note stem>.results.md`` beside it. So do notes that are not
  UTF-8 or that end in a lone carriage return.
- Writes are atomic: a temporary file in the same folder, flushed and fsynced, then
  ``os.replace``; the file mode is kept.

Placement of a new block: at the end of the open-questions section (before the next heading of
the same or a higher level, e.g. before ``## 출처``), after the section's last text and one
blank line when there is one; without a questions section, the same just before a sources
heading (``출처``, ``References``, ...); otherwise at the end of the note. Never inside the
frontmatter or a fenced code block.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from notebase.config import DEFAULT_QUESTION_HEADINGS, DEFAULT_SOURCES_HEADINGS

BOM = b"\xef\xbb\xbf"
CLOSE_MARKER = "<!-- /notebase:results -->"

_OPEN_RE = re.compile(r"^[ ]{0,3}<!--\s*notebase:results(?P<attrs>(?:\s+[^\s]*)*?)\s*-->\s*$")
_CLOSE_RE = re.compile(r"^[ ]{0,3}<!--\s*/notebase:results\s*-->\s*$")
# A line that tries to be a marker: anything with the marker word inside an HTML comment start.
_MARKERISH_RE = re.compile(r"^[ ]{0,3}<!--.*/?notebase:results")
_ATTR_RE = re.compile(r"([A-Za-z][\w-]*)=(\S*)")
_FENCE_RE = re.compile(r"^[ ]{0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_HEADING_RE = re.compile(r"^[ ]{0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?[ \t]*$")

QUESTION_HEADING_PATTERNS: tuple[str, ...] = tuple(DEFAULT_QUESTION_HEADINGS)
"""Headings that open the questions section (regexes searched case-insensitively); the
vault's own settings (``.notebase.toml``) are passed in by the caller."""
SOURCES_HEADING_PATTERNS: tuple[str, ...] = tuple(DEFAULT_SOURCES_HEADINGS)
"""Headings of a sources section, same rules."""


class UnsafeEdit(Exception):
    """The note cannot be edited without guessing; the message says why (one line)."""


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
        opening = "<!-- notebase:results " + " ".join(f"{k}={v}" for k, v in attrs.items()) + " -->"
        return [opening, *self.body, CLOSE_MARKER]


@dataclass(slots=True)
class WriteOutcome:
    """Where a run's results went, or why they went nowhere."""

    status: str
    """``written`` (into the note), ``sidecar`` (into ``<stem>.results.md``), or
    ``not-written`` (the run failed or was interrupted; nothing changed)."""
    note: Path
    """The note the results were meant for."""
    written_to: Path | None = None
    """The file that now holds the block: the note, the sidecar, or None."""
    reason: str | None = None
    """Why the note itself was not written (one line), else None."""
    replaced: bool = False
    """True when an earlier block of the same experiment was replaced."""
    plot: Path | None = None
    """The PNG embedded in the block, when one was made."""
    warnings: list[str] = field(default_factory=list)
    """Things that went wrong without stopping the write (e.g. the plot could not be drawn)."""
    experiment: str | None = None
    """The experiment that ran (set by `notebase.experiments.note_runs`)."""
    run_id: str | None = None
    """The run's id, when the runner got far enough to give one."""
    run_status: str | None = None
    """The run's status: ``ok``, ``failed`` or ``interrupted``."""
    run_error: str | None = None
    """Why the run failed, from its record."""
    record_path: Path | None = None
    """The run record (``experiments/runs/<run_id>.json``)."""
    record: dict | None = None
    """The run record itself (results rows under ``results``)."""


# --------------------------------------------------------------------------- lines


@dataclass(slots=True)
class _Line:
    text: str
    """The line's content, without its terminator."""
    end: str
    """Its terminator as in the file: ``\\r\\n``, ``\\n`` or ``""`` (last line, no newline)."""


def _split_lines(text: str) -> list[_Line]:
    parts = re.split(r"(\r\n|\n)", text)
    lines = [_Line(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
    if parts[-1]:
        lines.append(_Line(parts[-1], ""))
    return lines


def _newline_of(lines: Sequence[_Line]) -> str:
    crlf = sum(1 for line in lines if line.end == "\r\n")
    lf = sum(1 for line in lines if line.end == "\n")
    return "\r\n" if crlf > lf else "\n"


def block_hash(body: Iterable[str]) -> str:
    """Digest of a block's lines (terminators excluded, so CRLF conversion is not an edit)."""
    return hashlib.sha256("\n".join(body).encode("utf-8")).hexdigest()[:12]


# --------------------------------------------------------------------------- structure


@dataclass(slots=True)
class FoundBlock:
    """A complete results block found in a note's lines."""

    experiment: str
    attrs: dict[str, str]
    start: int
    """0-based index of the opening-marker line."""
    end: int
    """0-based index of the closing-marker line."""
    body_hash: str
    """``block_hash`` of the lines between the markers as they are now."""

    @property
    def edited(self) -> bool:
        """True when the lines no longer match the ``hash=`` written with them."""
        return self.attrs.get("hash") != self.body_hash


@dataclass(slots=True)
class _Structure:
    body_start: int
    """Index of the first line after the frontmatter."""
    headings: list[tuple[int, int, str]]
    """(line index, level, text) of ATX headings outside the frontmatter and code fences."""
    blocks: list[FoundBlock]
    problems: list[str]
    """Broken markers, one line each (empty when the structure is sound)."""
    open_fence_at: int | None = None
    """Index of a code fence that is never closed (it runs to the end of the note)."""


def _frontmatter_end(lines: Sequence[_Line]) -> int:
    if not lines or lines[0].text.rstrip() != "---":
        return 0
    for index in range(1, len(lines)):
        if lines[index].text.rstrip() in ("---", "..."):
            return index + 1
    return 0


def _scan(lines: Sequence[_Line]) -> _Structure:
    body_start = _frontmatter_end(lines)
    headings: list[tuple[int, int, str]] = []
    blocks: list[FoundBlock] = []
    problems: list[str] = []
    fence: str | None = None
    fence_at = 0
    open_at: int | None = None
    open_attrs: dict[str, str] = {}
    for index in range(body_start, len(lines)):
        text = lines[index].text
        fence_match = _FENCE_RE.match(text)
        if fence is not None:
            if fence_match and fence_match["fence"][0] == fence[0] and len(
                fence_match["fence"]
            ) >= len(fence) and not fence_match["info"].strip():
                fence = None
            continue
        if fence_match and not (fence_match["fence"][0] == "`" and "`" in fence_match["info"]):
            fence, fence_at = fence_match["fence"], index
            continue
        if open_match := _OPEN_RE.match(text):
            attrs = dict(_ATTR_RE.findall(open_match["attrs"]))
            if open_at is not None:
                problems.append(f"line {open_at + 1}: results block opened but never closed")
            if not attrs.get("experiment"):
                problems.append(f"line {index + 1}: results marker names no experiment")
                open_at = None
                continue
            open_at, open_attrs = index, attrs
        elif _CLOSE_RE.match(text):
            if open_at is None:
                problems.append(f"line {index + 1}: results block closed but never opened")
                continue
            body = [line.text for line in lines[open_at + 1 : index]]
            blocks.append(
                FoundBlock(
                    experiment=open_attrs["experiment"],
                    attrs=open_attrs,
                    start=open_at,
                    end=index,
                    body_hash=block_hash(body),
                )
            )
            open_at = None
        elif _MARKERISH_RE.match(text):
            problems.append(f"line {index + 1}: results marker does not parse")
        elif open_at is None and (heading := _HEADING_RE.match(text)):
            headings.append((index, len(heading["hashes"]), (heading["text"] or "").strip()))
    if open_at is not None:
        problems.append(f"line {open_at + 1}: results block opened but never closed")
    return _Structure(body_start, headings, blocks, problems, fence_at if fence else None)


def find_blocks(data: bytes) -> list[FoundBlock]:
    """The complete results blocks of a note's bytes (broken markers are skipped)."""
    text = data[len(BOM) :] if data.startswith(BOM) else data
    return _scan(_split_lines(text.decode("utf-8", errors="replace"))).blocks


def _matches(text: str, patterns: Iterable[str]) -> bool:
    return any(re.search(pattern, text, re.IGNORECASE) for pattern in patterns)


def _insertion_index(
    lines: Sequence[_Line],
    structure: _Structure,
    question_patterns: Iterable[str],
    sources_patterns: Iterable[str],
) -> int:
    """Where a new block goes: see the module docstring."""
    headings = structure.headings
    region_start, region_end = structure.body_start, len(lines)
    questions = next(
        (h for h in headings if _matches(h[2], question_patterns)), None
    )
    if questions is not None:
        q_index, q_level, _ = questions
        region_start = q_index + 1
        region_end = next(
            (i for i, level, _ in headings if i > q_index and level <= q_level), len(lines)
        )
    else:
        sources = next(
            (h for h in headings if _matches(h[2], sources_patterns)), None
        )
        if sources is not None:
            region_end = sources[0]
    index = region_end
    while index > region_start and not lines[index - 1].text.strip():
        index -= 1
    if index < region_end:
        index += 1  # keep one of the note's blank lines above the block
    if structure.open_fence_at is not None and index > structure.open_fence_at:
        index = structure.open_fence_at  # an unclosed fence would swallow the block
    return index


# --------------------------------------------------------------------------- editing


def apply_block(
    data: bytes,
    block: RenderedBlock,
    *,
    question_patterns: Iterable[str] = QUESTION_HEADING_PATTERNS,
    sources_patterns: Iterable[str] = SOURCES_HEADING_PATTERNS,
) -> tuple[bytes, bool]:
    """The note's bytes with ``block`` placed or replaced; everything else byte-identical.

    Returns (new bytes, replaced?). Raises UnsafeEdit when that would need a guess.
    """
    bom = BOM if data.startswith(BOM) else b""
    try:
        text = data[len(bom) :].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeEdit(f"the note is not valid UTF-8 ({exc.reason} at byte {exc.start})") from None
    lines = _split_lines(text)
    structure = _scan(lines)
    if structure.problems:
        raise UnsafeEdit("broken results marker: " + "; ".join(structure.problems))
    mine = [found for found in structure.blocks if found.experiment == block.experiment]
    if len(mine) > 1:
        where = ", ".join(str(found.start + 1) for found in mine)
        raise UnsafeEdit(f"{len(mine)} results blocks for {block.experiment} (lines {where})")
    newline = _newline_of(lines)
    new_lines = [_Line(text, newline) for text in block.lines()]
    replaced = bool(mine)
    if mine:
        found = mine[0]
        if found.edited:
            raise UnsafeEdit(
                f"the results block for {block.experiment} (line {found.start + 1}) "
                "was edited by hand"
            )
        # The block's last line ends the way the old one did (no newline at the end of a note).
        new_lines[-1].end = lines[found.end].end
        lines[found.start : found.end + 1] = new_lines
    else:
        index = _insertion_index(
            lines, structure, tuple(question_patterns), tuple(sources_patterns)
        )
        if index == len(lines) and lines and lines[-1].end == "":
            if lines[-1].text.endswith("\r"):
                # Our newline after it would read as CRLF and swallow the CR.
                raise UnsafeEdit("the note ends in a lone carriage return")
            # The note ends without a newline: the newline that separates its last line from
            # the block is the block's, and the block ends without one, as the note did.
            lines[-1].end = newline
            new_lines[-1].end = ""
        lines[index:index] = new_lines
    return bom + "".join(line.text + line.end for line in lines).encode("utf-8"), replaced


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path``'s content atomically (same-folder temp file, fsync, rename), keeping
    its mode; a symlinked note keeps its link and the target is replaced."""
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None
    fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp_name, mode)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp_name, 0o666 & ~umask)
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable; not every file system lets a folder be opened
        dir_fd = os.open(target.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def sidecar_path(note_file: Path) -> Path:
    """``<note stem>.results.md`` beside the note."""
    return note_file.with_name(note_file.stem + ".results.md")


def _write_sidecar(note_file: Path, block: RenderedBlock, reason: str) -> tuple[Path, bool]:
    """Put the block into the note's sidecar (replacing that experiment's block there)."""
    sidecar = sidecar_path(note_file)
    try:
        existing = sidecar.read_bytes()
    except FileNotFoundError:
        existing = None
    if existing is not None:
        try:
            data, replaced = apply_block(existing, block)
            atomic_write(sidecar, data)
            return sidecar, replaced
        except UnsafeEdit:
            # The sidecar is broken too: a file of its own for this run loses nothing.
            sidecar = note_file.with_name(
                f"{note_file.stem}.results.{block.attrs.get('run', 'run')}.md"
            )
    header = (
        f"# Results for {note_file.stem}\n\n"
        f"notebase could not write these results into `{note_file.name}`: {reason}.\n"
        "Move the block into the note by hand, or fix the note and run again.\n\n"
    )
    body = header + "\n".join(block.lines()) + "\n"
    atomic_write(sidecar, body.encode("utf-8"))
    return sidecar, False


def write_block(
    note_file: Path,
    make_block: Callable[[bytes], RenderedBlock],
    *,
    question_patterns: Iterable[str] = QUESTION_HEADING_PATTERNS,
    sources_patterns: Iterable[str] = SOURCES_HEADING_PATTERNS,
    attempts: int = 3,
) -> WriteOutcome:
    """Write a block into the note as it is on disk now, or into its sidecar.

    ``make_block`` gets the note's current bytes (so it can read which questions the block
    answers from the text as it is at write time). If the note changes between our read and
    our rename, the write is redone on the new bytes (up to ``attempts`` times).
    """
    reason = None
    block = None
    for _ in range(attempts):
        try:
            data = note_file.read_bytes()
        except FileNotFoundError:
            block = make_block(b"")
            reason = "the note no longer exists"
            break
        block = make_block(data)
        try:
            new_data, replaced = apply_block(
                data,
                block,
                question_patterns=question_patterns,
                sources_patterns=sources_patterns,
            )
        except UnsafeEdit as exc:
            reason = str(exc)
            break
        try:
            unchanged = note_file.read_bytes() == data
        except FileNotFoundError:
            unchanged = False
        if not unchanged:
            continue  # edited while we computed: start over from what is there now
        atomic_write(note_file, new_data)
        return WriteOutcome("written", note_file, written_to=note_file, replaced=replaced)
    else:
        reason = "the note kept changing while the results were being written"
    assert block is not None
    sidecar, replaced = _write_sidecar(note_file, block, reason)
    return WriteOutcome("sidecar", note_file, written_to=sidecar, reason=reason, replaced=replaced)


# --------------------------------------------------------------------------- rendering

def human_bytes(value: float | int | None) -> str:
    """1536 -> ``1.5 KiB`` (binary units, 3 significant digits)."""
    if value is None:
        return "–"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            if unit == "B":
                return f"{int(size)} B"
            digits = 0 if abs(size) >= 100 else 1 if abs(size) >= 10 else 2
            return f"{size:.{digits}f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _number(value, spec: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value != value:  # NaN
        return "NaN"
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def sweep_keys(record: dict) -> list[str]:
    """The swept parameters shown as columns: list-valued spec params that rows carry, else
    ``inner_steps`` when rows have it."""
    rows = record.get("results") or []
    spec = record.get("spec") or {}
    params = dict(spec.get("params") or {})
    if record.get("quick"):
        params.update(spec.get("quick") or {})
    keys = [k for k, v in params.items() if isinstance(v, list) and any(k in r for r in rows)]
    if not keys and any("inner_steps" in row for row in rows):
        keys = ["inner_steps"]
    return keys


def _cell(value) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_table(record: dict) -> list[str]:
    """The Markdown table of a record's rows: one per algorithm and sweep point."""
    rows = record.get("results") or []
    if not rows:
        return ["_The run produced no result rows._"]
    keys = sweep_keys(record)
    with_accuracy = any(
        row.get("pre_adaptation_accuracy") is not None
        or row.get("post_adaptation_accuracy") is not None
        for row in rows
    )
    header = ["algorithm", *(k.replace("_", " ") for k in keys)]
    header += ["s/iter", "tasks/s", "peak memory", "pre loss", "post loss"]
    align = ["---", *("--:" for _ in keys), "--:", "--:", "--:", "--:", "--:"]
    if with_accuracy:
        header += ["pre acc", "post acc"]
        align += ["--:", "--:"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    # One algorithm's sweep points together, algorithms in the order the run had them.
    first_seen = {name: i for i, name in reversed(list(enumerate(r.get("algorithm") for r in rows)))}
    for row in sorted(rows, key=lambda r: first_seen[r.get("algorithm")]):
        memory = human_bytes(row.get("peak_memory_bytes"))
        if row.get("memory_kind"):
            memory += f" ({row['memory_kind']})"
        cells = [str(row.get("algorithm", "?")), *(str(row.get(k, "–")) for k in keys)]
        cells += [
            _number(row.get("seconds_per_iteration"), ".3g"),
            _number(row.get("tasks_per_second"), ",.0f"),
            memory,
            _number(row.get("pre_adaptation_loss"), ".4g"),
            _number(row.get("post_adaptation_loss"), ".4g"),
        ]
        if with_accuracy:
            cells += [
                _number(row.get("pre_adaptation_accuracy"), ".1%"),
                _number(row.get("post_adaptation_accuracy"), ".1%"),
            ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def _when(record: dict) -> str:
    stamp = record.get("ended_at") or record.get("started_at")
    if not stamp:
        return "unknown date"
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return str(stamp)
    if moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M %z").strip()


def provenance_line(record: dict) -> str:
    """Run id, experiment, date, device, torch version, commit (+dirty), quick or not."""
    device = record.get("device") or "?"
    name = str(record.get("device_name") or "")
    if name.startswith(f"{device}:") or name.startswith(f"{device} "):
        device = name  # the runner's name already says cpu / cuda
    elif name and name != device:
        device = f"{device} ({name})"
    commit = (record.get("git_commit") or "unknown")[:10]
    if record.get("git_dirty"):
        commit += " + uncommitted changes"
    parts = [
        f"Run `{record.get('run_id', '?')}` of `{record.get('experiment', '?')}`",
        _when(record),
        f"device {device}",
        f"torch {record.get('torch_version') or '?'}",
        f"commit {commit}",
    ]
    if record.get("quick"):
        parts.append("quick run")
    return " · ".join(parts)


def _attr(value: object) -> str:
    """A marker attribute value: no spaces, no ``-->``."""
    text = re.sub(r"\s+", "_", str(value))
    return text.replace("-->", "--_")


def render_block(
    record: dict,
    *,
    answers: Sequence[int] = (),
    plot_embed: str | None = None,
    spec_hash: str | None = None,
) -> RenderedBlock:
    """The block for one run record.

    ``answers`` are the numbers of the questions that name this experiment; ``plot_embed``
    is the vault-relative path of the plot (``attachments/NAME-RUN.png``), if one was made.
    """
    experiment = str(record["experiment"])
    attrs = {
        "run": _attr(record.get("run_id", "")),
        "spec": _attr(spec_hash or record.get("spec_hash") or ""),
    }
    if answers:
        attrs["answers"] = ",".join(str(n) for n in sorted(set(answers)))
    if record.get("ended_at"):
        attrs["date"] = _attr(record["ended_at"])
    body = ["", *render_table(record), "", provenance_line(record)]
    if answers:
        numbers = ", ".join(str(n) for n in sorted(set(answers)))
        noun = "question" if len(set(answers)) == 1 else "questions"
        body += ["", f"Answers {noun} {numbers}."]
    if plot_embed:
        body += ["", f"![[{plot_embed}]]"]
    body.append("")
    return RenderedBlock(experiment=_attr(experiment), attrs=attrs, body=body)
