"""Renaming or moving a note and rewriting every link to it, byte-exact everywhere else.

``plan_rename(vault, "ml/maml.md", "MAML 정리")`` works out, without writing anything, which
files change and how: the note's new path, its results sidecars (``<stem>.results.md`` and
each run's ``<stem>.results.<run>.md``, which move with it), and, for every note (the renamed
one too), the new bytes with the links rewritten. ``apply_rename`` then moves the files and
writes each changed note through `notebase.core.file_replace`, refusing any file that changed
on disk since the plan.

What counts as a link and where it sits is `notebase.core.links` (the one grammar: code spans
and fences are not links); what it points to is `notebase.core.link_resolution`. A link is
rewritten when it named the file of a moved note (by path or by name) and would no longer
find it; a link that found the note by an alias or its title keeps working and is left alone.
Links to *other* notes that the move would capture or break (a bare ``[[name]]`` that would
now find the moved note first, a Markdown link relative to the moved note's folder) are
rewritten to keep pointing where they did. Only the target inside each link changes: label,
``#heading``, ``#^block``, the ``!`` of an embed, line endings, a BOM, the frontmatter and
every other byte stay. The author's form is kept: a bare name stays a bare name (the
shortest path that is not ambiguous when the bare name would be), a path stays a path,
``.md`` stays written or left out, a Markdown link stays relative or rooted and percent-
encoded as it was. Frontmatter (title, aliases) is left alone.
"""

from __future__ import annotations

import bisect
import dataclasses
import os
import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from notebase.core.file_replace import WriteRefused, replace_if_holding
from notebase.core.link_resolution import NameIndex
from notebase.core.links import link_target_span
from notebase.core.markdown_blocks import normalize_newlines, split_frontmatter
from notebase.core.note import Link, Note
from notebase.core.note_ops import (
    NoteOpError,
    disk_path,
    existing_name,
    is_same_file,
    move_no_replace,
    note_file_name,
    posix_join,
    split_rel,
    vault_folder,
)
from notebase.core.vault_files import sidecar_renamed, sidecars_of
from notebase.errors import NoteError

if TYPE_CHECKING:
    from notebase.core.vault import Vault



@dataclass(slots=True)
class RenameChange:
    """One file the rename changes: its path after the rename, and how many links in it
    are rewritten (0 for a file that only moves)."""

    path: str
    links: int


@dataclass(slots=True)
class _Edit:
    """A note whose links are rewritten: its bytes when planned and its new bytes."""

    path: str
    """Its vault-relative path after the rename."""
    before: bytes
    after: bytes


@dataclass(slots=True)
class RenamePlan:
    """What `apply_rename` will do; nothing is written to make it."""

    old: str
    """The note's vault-relative path now."""
    new: str
    """Its path after the rename."""
    changes: list[RenameChange]
    """The renamed note first, then its sidecars if it has any, then every note whose links
    change, by path."""
    problems: list[str] = field(default_factory=list)
    """One line for each link that would need rewriting but cannot be (a link broken over
    two lines of a quote, a file that is not UTF-8): it is left as it is."""
    moves: list[tuple[str, str]] = field(default_factory=list)
    """``(old path, new path)`` of each file that moves: the note, then its sidecars."""
    _sources: dict[str, Path] = field(default_factory=dict)
    """Where each moving file is on disk now (its real name, maybe NFD)."""
    _edits: list[_Edit] = field(default_factory=list)
    _files: dict[str, Path] = field(default_factory=dict)
    """Where each edited note is on disk after the moves, by path after the rename."""

    @property
    def links(self) -> int:
        """Links rewritten in all."""
        return sum(change.links for change in self.changes)


class RenameIncomplete(NoteOpError):
    """The note was renamed but some files were not rewritten (they changed on disk since the
    plan, or could not be written): ``written`` and ``skipped`` say which."""

    def __init__(self, message: str, written: list[str], skipped: list[str]) -> None:
        super().__init__(message)
        self.written = written
        self.skipped = skipped


# --------------------------------------------------------------------------- planning


def plan_rename(vault_root: Path, old: str, new: str, *, vault: Vault | None = None) -> RenamePlan:
    """Plan renaming note ``old`` (a vault-relative path; a title or alias is found too) to
    ``new``: a new title or file name (same folder) or a vault-relative path (a move).
    ``vault``: the loaded vault, to save loading it again. NoteOpError (one line) when the
    note is missing, the new name is empty, taken, outside the vault or in a folder the
    vault does not read."""
    vault_root = Path(vault_root)
    if vault is None:
        from notebase.core.vault import Vault

        try:
            vault = Vault.load(vault_root)
        except NoteError as exc:
            raise NoteOpError(str(exc)) from None
    note = vault.get(old)
    if note is None:
        try:
            note = vault.find(old)
        except NoteError as exc:
            raise NoteOpError(str(exc)) from None
    old_path = note.path
    new_path = _new_path(vault, old_path, new)
    moves = {old_path: new_path}
    sources = {old_path: vault.file_path(old_path)}
    source = sources[old_path]
    folder, slash, base = new_path.rpartition("/")
    for name in sidecars_of(source.parent, source.name):  # <stem>.results[.<run>].md
        side = source.parent / name
        side_old = posix_join(posixpath.dirname(old_path), unicodedata.normalize("NFC", name))
        side_new = f"{folder}{slash}{sidecar_renamed(name, base[:-3])}"
        _check_free(vault, side_new, side, what="its results sidecar")
        moves[side_old] = side_new
        sources[side_old] = side
    _check_free(vault, new_path, sources[old_path], what="the note")

    plan = RenamePlan(old=old_path, new=new_path, changes=[], moves=list(moves.items()))
    plan._sources = sources
    _plan_links(vault, moves, plan)
    return plan


def _new_path(vault: Vault, old_path: str, new: str) -> str:
    text = unicodedata.normalize("NFC", str(new)).strip()
    if text.endswith(("/", "\\")):  # into that folder, under the same name
        folder, name = "/".join(split_rel(text)), posixpath.basename(old_path)
    elif "/" in text or "\\" in text:
        parts = split_rel(text)
        folder, name = "/".join(parts[:-1]), note_file_name(parts[-1])
    else:
        folder, name = posixpath.dirname(old_path), note_file_name(text)
    folder = vault_folder(vault.root, folder, vault.config)
    new_path = posix_join(folder, name)
    if new_path == old_path:
        raise NoteOpError(f"{old_path} is already named so")
    return new_path


def _check_free(vault: Vault, path: str, source: Path, *, what: str) -> None:
    """NoteOpError when a file named ``path`` (any case, any normalisation) exists, unless it
    is ``source`` itself (a rename that only changes case)."""
    folder = disk_path(vault.root, posixpath.dirname(path))
    taken = existing_name(folder, posixpath.basename(path))
    if taken is not None and not is_same_file(folder / taken, source):
        shown = posix_join(posixpath.dirname(path), unicodedata.normalize("NFC", taken))
        raise NoteOpError(f"cannot rename {what} to {path}: {shown} already exists")


def _files_only(index: NameIndex) -> NameIndex:
    """The index without aliases and titles: what a link names as a file."""
    return dataclasses.replace(index, by_alias={}, by_title={})


def _plan_links(vault: Vault, moves: dict[str, str], plan: RenamePlan) -> None:
    config = vault.config
    from notebase.core.parse import parse_note

    pre = NameIndex.build(vault.notes, vault.attachments)
    post_notes: dict[str, Note] = {}
    for path, note in vault.notes.items():
        if path in moves:
            try:
                data = plan._sources[path].read_bytes()
            except OSError as exc:
                raise NoteOpError(f"cannot read {path} ({exc.strerror})") from None
            note = parse_note(moves[path], data, config)
        post_notes[moves.get(path, path)] = note
    post = NameIndex.build(dict(sorted(post_notes.items())), vault.attachments)
    rules = _Rules(moves, pre, _files_only(pre), post, _files_only(post))

    candidates = [
        path
        for path, note in vault.notes.items()
        if any(rules.needs_rewrite(path, link) for link in note.links)
    ]
    counts: dict[str, int] = {}
    for path in candidates:
        edit, count = _plan_file(vault, path, rules, plan.problems)
        if edit is not None:
            plan._edits.append(edit)
            plan._files[edit.path] = (
                disk_path(vault.root, edit.path) if path in moves else vault.file_path(path)
            )
            counts[edit.path] = count
    plan._edits.sort(key=lambda e: (e.path != plan.new, e.path))
    moved = [new for new in moves.values()]
    plan.changes = [RenameChange(path, counts.pop(path, 0)) for path in moved]
    plan.changes += [RenameChange(path, n) for path, n in sorted(counts.items())]


@dataclass(slots=True)
class _Rules:
    moves: dict[str, str]
    pre: NameIndex
    pre_files: NameIndex
    post: NameIndex
    post_files: NameIndex

    def expected(self, link: Link) -> str | None:
        """Where ``link`` (resolved before the rename) must point after it."""
        return None if link.resolved is None else self.moves.get(link.resolved, link.resolved)

    def needs_rewrite(self, path: str, link: Link) -> bool:
        """Whether ``link`` in note ``path`` (``link.resolved`` set for before the rename)
        would not point where it must after the rename. A link that named a moved note's
        file must name its new file (a title or alias would find it in notebase, not in
        Obsidian); any other link must merely still find its note."""
        if link.experiment or link.resolved is None:
            return False
        expected = self.expected(link)
        new_from = self.moves.get(path, path)
        if link.resolved in self.moves and self.pre_files.resolve(path, link) == link.resolved:
            return self.post_files.resolve(new_from, link) != expected
        return self.post.resolve(new_from, link) != expected


def _plan_file(
    vault: Vault, path: str, rules: _Rules, problems: list[str]
) -> tuple[_Edit | None, int]:
    """The edit of one note (its bytes read now, parsed afresh), and the links it rewrites."""
    from notebase.core.parse import parse_note

    new_path = rules.moves.get(path, path)
    source = vault.file_path(path)
    try:
        data = source.read_bytes()
    except OSError as exc:
        problems.append(f"{path}: cannot be read ({exc.strerror}); its links are left as they are")
        return None, 0
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        problems.append(f"{path}: not UTF-8 text; its links are left as they are")
        return None, 0
    note = parse_note(path, data, vault.config)
    for link in note.links:
        link.resolved = rules.pre.resolve(path, link)
    layout = _Layout(text, note.body)
    replacements: list[tuple[int, int, str]] = []
    rewritten: dict[int, str] = {}
    for number, link in enumerate(note.links):
        if not rules.needs_rewrite(path, link):
            continue
        expected = rules.expected(link)
        where = f"{path}:{link.line}"
        if link.end == 0:
            problems.append(
                f"{where}: a link to {expected} is broken over two lines; not rewritten"
            )
            continue
        found = link_target_span(note.body[link.start : link.end], link.kind)
        if found is None:
            problems.append(f"{where}: the link to {expected} could not be read; not rewritten")
            continue
        start, end, written, angle = found
        target = _new_target(link, written, angle, path, new_path, expected, rules)
        if target is None:
            problems.append(f"{where}: no link form reaches {expected}; not rewritten")
            continue
        if target != written:
            start += link.start
            end += link.start
            replacements.append((layout.raw(start), layout.raw(end), target))
            rewritten[number] = expected
    if not replacements:
        return None, 0
    after = layout.apply(replacements).encode("utf-8")
    if not _verified(note, after, new_path, rewritten, rules, vault):
        problems.append(f"{path}: rewriting its links would change more than them; not rewritten")
        return None, 0
    return _Edit(new_path, data, after), len(replacements)


def _verified(
    before: Note, after: bytes, new_path: str, rewritten: dict[int, str], rules: _Rules, vault
) -> bool:
    """Parsed again, the new bytes hold the same links, the rewritten ones pointing where
    they must, the others written as they were."""
    from notebase.core.parse import parse_note

    note = parse_note(new_path, after, vault.config)
    if len(note.links) != len(before.links):
        return False
    for number, (old, new) in enumerate(zip(before.links, note.links, strict=True)):
        same = (old.kind, old.embed, old.heading, old.label) == (
            new.kind,
            new.embed,
            new.heading,
            new.label,
        )
        if not same:
            return False
        if number in rewritten:
            if rules.post.resolve(new_path, new) != rewritten[number]:
                return False
        elif new.target != old.target:
            return False
    return True


class _Layout:
    """Maps offsets in a note's parsed body to offsets in its decoded file text (BOM, CRLF
    and lone CR, frontmatter), and puts replacements into that text."""

    def __init__(self, text: str, body: str) -> None:
        self.bom = text.startswith("\ufeff")
        self.raw_text = text[1:] if self.bom else text
        normalized = normalize_newlines(self.raw_text)
        _, parsed_body, _ = split_frontmatter(normalized)
        self.body_start = len(normalized) - len(parsed_body)
        # Each \r\n is one character in the normalised text: where they stand there.
        self.pairs = [m.start() - k for k, m in enumerate(re.finditer("\r\n", self.raw_text))]

    def raw(self, body_offset: int) -> int:
        at = self.body_start + body_offset
        return at + bisect.bisect_left(self.pairs, at)

    def apply(self, replacements: list[tuple[int, int, str]]) -> str:
        out, pos = [], 0
        for start, end, text in sorted(replacements):
            out.append(self.raw_text[pos:start])
            out.append(text)
            pos = end
        out.append(self.raw_text[pos:])
        return ("\ufeff" if self.bom else "") + "".join(out)


# --------------------------------------------------------------------------- link forms

_ENCODED_NON_ASCII = re.compile(r"%[89A-Fa-f][0-9A-Fa-f]")
_MUST_ENCODE_BARE = " %<>()"
_MUST_ENCODE_ANGLE = "%<>"


def _new_target(
    link: Link, written: str, angle: bool, old_from: str, new_from: str, expected: str, rules
) -> str | None:
    """The target to write so that ``link`` in the note now at ``new_from`` finds
    ``expected``, in the form the author used; None when no form does."""
    if link.kind == "wiki":
        forms = _wiki_forms(link.target, expected)
    else:
        forms = _markdown_forms(link.target, old_from, new_from, link.resolved, expected)
    for form in forms:
        candidate = Link(target=unicodedata.normalize("NFC", form), kind=link.kind)
        if (
            rules.post_files.resolve(new_from, candidate) == expected
            and rules.post.resolve(new_from, candidate) == expected
            and _unambiguous(rules.post_files, new_from, candidate)
        ):
            if candidate.target == link.target:
                return written
            return form if link.kind == "wiki" else _encode(form, written, angle)
    return None


def _unambiguous(index: NameIndex, from_path: str, link: Link) -> bool:
    """Whether ``link`` names one file only: a path from the vault root (for a Markdown
    link also from the note's folder), or a name (or path suffix) only one file has. A bare
    name two notes share finds one of them by the resolver's tie-break, which an author
    should not rely on."""
    key = link.target.casefold().lstrip("/")
    if key in index.by_path:
        return True
    folder = posixpath.dirname(from_path)
    if link.kind == "markdown" and folder:
        joined = posixpath.normpath(posixpath.join(folder.casefold(), key))
        if joined in index.by_path:
            return True
    name = key.rpartition("/")[2]
    suffixes = ("/" + key, "/" + key + ".md")
    matches = {
        path
        for path in index.by_name.get(name, []) + index.by_stem.get(name, [])
        if "/" not in key or ("/" + path.casefold()).endswith(suffixes)
    }
    return len(matches) == 1


def _wiki_forms(target: str, expected: str) -> list[str]:
    with_md = target.casefold().endswith(".md") or not expected.casefold().endswith(".md")
    path = expected if with_md else expected[:-3]
    rooted = target.startswith("/")
    if "/" not in target.strip("/"):
        parts = path.split("/")
        return ["/".join(parts[-n:]) for n in range(1, len(parts) + 1)]
    return ["/" + path if rooted else path]


def _markdown_forms(
    target: str, old_from: str, new_from: str, resolved: str | None, expected: str
) -> list[str]:
    folder = posixpath.dirname(new_from)
    relative = posixpath.relpath(expected, folder) if folder else expected
    if "/" not in target.strip("/"):
        return [posixpath.basename(expected), relative, expected]
    old_folder = posixpath.dirname(old_from)
    joined = posixpath.normpath(posixpath.join(old_folder, target)) if old_folder else target
    was_relative = resolved is not None and joined.casefold() == resolved.casefold()
    rooted = ("/" if target.startswith("/") else "") + expected
    return [relative, rooted] if was_relative and not target.startswith("/") else [rooted, relative]


def _encode(path: str, written: str, angle: bool) -> str:
    """``path`` percent-encoded as the author encoded the link it replaces: everything not
    ASCII too when they did, else only what the link grammar needs (spaces, ``%``,
    brackets and parentheses; in ``<...>`` spaces may stay)."""
    if _ENCODED_NON_ASCII.search(written):
        return quote(path, safe="/")
    if "%20" in written or not angle:
        chars = _MUST_ENCODE_BARE
    else:
        chars = _MUST_ENCODE_ANGLE
    return "".join(f"%{ord(c):02X}" if c in chars else c for c in path)


# --------------------------------------------------------------------------- applying


def apply_rename(vault_root: Path, plan: RenamePlan) -> list[str]:
    """Carry out ``plan``: move the note (and its sidecars), then write every note whose links
    change. Returns the vault-relative paths written, the renamed note first. Nothing is
    ever written over: the move refuses an existing target (NoteOpError, nothing done), and
    a note that changed on disk since the plan is not rewritten -- the others are, then
    `RenameIncomplete` (a NoteOpError) names the ones left as they were."""
    vault_root = Path(vault_root)
    source = plan._sources.get(plan.old)
    if source is None or not os.path.lexists(source):
        raise NoteOpError(f"{plan.old} is gone; nothing renamed")
    targets = {new: disk_path(vault_root, new) for _, new in plan.moves}
    for old, new in plan.moves:
        target = targets[new]
        if os.path.lexists(target) and not is_same_file(plan._sources[old], target):
            raise NoteOpError(f"cannot rename to {new}: it already exists; nothing renamed")
    folder = posixpath.dirname(plan.new)
    vault_folder(vault_root, folder)
    try:
        targets[plan.new].parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NoteOpError(f"cannot make folder {folder!r} ({exc.strerror})") from None
    vault_folder(vault_root, folder)  # made: it must still be inside the vault

    written: list[str] = []
    skipped: list[str] = []
    for old, new in plan.moves:
        try:
            move_no_replace(plan._sources[old], targets[new])
        except NoteOpError as exc:
            if old == plan.old:
                raise
            skipped.append(f"{old} (not moved: {exc})")
            continue
        written.append(new)
    for edit in plan._edits:
        reason = _write_edit(vault_root, plan._files[edit.path], edit)
        if reason is None:
            if edit.path not in written:
                written.append(edit.path)
        else:
            skipped.append(f"{edit.path} ({reason})")
    if skipped:
        listed = "; ".join(skipped[:5]) + (
            f"; and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        )
        raise RenameIncomplete(
            f"renamed {plan.old} to {plan.new}, but left {len(skipped)} file(s) as they were: "
            + listed,
            written,
            skipped,
        )
    return written


_WHY_NOT_WRITTEN = {
    "gone": "it is gone",
    "changed": "it changed since the plan",
    "raced": "it changed while being written",
    "moved": "it moved while being written",
}


def _write_edit(vault_root: Path, path: Path, edit: _Edit) -> str | None:
    """Write one edit if the file still holds what was planned; None when written, else why
    not (one line)."""
    try:
        outcome = replace_if_holding(
            path, edit.before, edit.after, vault_root=vault_root, label="the note"
        )
    except WriteRefused as exc:
        return str(exc)
    return _WHY_NOT_WRITTEN.get(outcome)
