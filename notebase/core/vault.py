"""The folder of notes: scan it, parse (or reuse cached) notes, resolve links and aliases.

``Vault.load(root)`` reads every ``*.md`` file under ``root`` (dot-folders and configured
folders skipped), fills in each link's ``resolved`` path the way Obsidian does, and keeps
backlinks, tags and questions ready to query. ``refresh()`` re-reads only the files whose
mtime or size changed (for the app's file watcher and the search index).

Reading never writes a note. The only thing written is the parse cache under
``<vault>/.notebase/`` (skipped silently when the vault is read-only).

Which files are notes and how they are named is `notebase.core.vault_files`; how a link
finds its file is `notebase.core.link_resolution`.

Over 400 lines because `Vault` is one object: loading, refreshing and the queries share the
backlinks, tags and links it rebuilds together on every change.
"""

from __future__ import annotations

import contextlib
import gc
import posixpath
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from notebase.config import VaultConfig
from notebase.core import cache as note_cache
from notebase.core import parse_helper
from notebase.core.link_resolution import NameIndex, name_key
from notebase.core.note import Note, Question
from notebase.core.parse import UNREADABLE
from notebase.core.vault_files import NoteFile, is_note_path, read_note_file, scan_files
from notebase.errors import NoteError


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while building many objects at once: loading
    10,000 notes otherwise triggers repeated full collections (measured: 3-5x slower).
    Notes hold no reference cycles, so nothing is lost by collecting later.

    On the way out the objects built meanwhile go straight to the oldest generation
    (``gc.freeze()`` then ``gc.unfreeze()``, no traversal): re-enabled as they were, the
    collector's first pass walked every one of them to find nothing (warm load of
    10,000 notes: 0.58 -> 0.37 s of CPU)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.unfreeze()
            gc.enable()


def _parse_files(files: list[NoteFile], config: VaultConfig) -> dict[str, Note]:
    """Parse ``files``; many of them: half in a helper process (``parse_helper.py``)."""
    helper = None
    if parse_helper.wanted(len(files)):
        half = len(files) // 2
        helper = parse_helper.Helper(files[half:], config)
        files = files[:half]
    try:
        notes = {file.path: read_note_file(file, config) for file in files}
        if helper is not None:
            notes.update(helper.result(config))
            helper = None
        return notes
    finally:
        if helper is not None:
            helper.stop()


@dataclass(slots=True)
class _Staged:
    """Copies of a vault's note tables, changed by refresh before being made current."""

    notes: dict[str, Note]
    files: dict[str, NoteFile]

    @classmethod
    def copy_of(cls, vault: Vault) -> _Staged:
        return cls(dict(vault.notes), dict(vault._files))

    def put(self, file: NoteFile, config: VaultConfig) -> None:
        self.files[file.path] = file
        self.notes[file.path] = read_note_file(file, config)

    def drop(self, path: str) -> None:
        self.notes.pop(path, None)
        self.files.pop(path, None)


class Vault:
    """All notes of one folder, with links resolved. Build it with ``Vault.load``."""

    def __init__(self, root: Path, config: VaultConfig) -> None:
        self.root = Path(root)
        """The vault folder."""
        self.config = config
        self.notes: dict[str, Note] = {}
        """Every note by vault-relative path, invalid ones included, sorted by path."""
        self.attachments: list[str] = []
        """Vault-relative paths of the files that are not notes."""
        self.use_cache = True
        self._files: dict[str, NoteFile] = {}
        """Each note's file as last read (its mtime and size tell refresh what changed)."""
        self._backlinks: dict[str, list[str]] = {}
        self._names = NameIndex.build(self.notes, self.attachments)
        """Notes and attachments by the names links use (built by ``_rebuild``)."""

    # ---- loading ------------------------------------------------------------------------

    @classmethod
    def load(
        cls, root: Path, *, config: VaultConfig | None = None, use_cache: bool = True
    ) -> Vault:
        """Read the vault at ``root``. NoteError when the folder does not exist."""
        root = Path(root)
        if not root.is_dir():
            what = "is not a folder" if root.exists() else "does not exist"
            raise NoteError(f"vault folder {str(root)!r} {what}")
        config = config or VaultConfig.load(root)
        with _gc_paused():
            return cls._load(root, config, use_cache)

    @classmethod
    def _load(cls, root: Path, config: VaultConfig, use_cache: bool) -> Vault:
        vault = cls(root, config)
        vault.use_cache = use_cache
        files, attachments = scan_files(root, config)
        cached = note_cache.load_cache(root, vault._fingerprint()) if use_cache else {}
        dirty = len(cached) != len(files)
        to_parse = []
        for file in files:
            entry = cached.get(file.path)
            if entry is not None and entry[0] == file.mtime_ns and entry[1] == file.size:
                vault.notes[file.path] = entry[2]
            else:
                vault.notes[file.path] = None  # keeps the scan's order
                to_parse.append(file)
            vault._files[file.path] = file
        if to_parse:
            dirty = True
            vault.notes.update(_parse_files(to_parse, config))
        vault.attachments = attachments
        vault._rebuild()
        if use_cache and dirty:
            vault.save_cache()
        return vault

    def _fingerprint(self) -> str:
        return self.config.fingerprint()

    def save_cache(self) -> bool:
        """Store the parsed notes under ``<vault>/.notebase/``; False if it cannot."""
        entries = {
            path: (file.mtime_ns, file.size, self.notes[path])
            for path, file in self._files.items()
            if self.notes[path].valid or not self.notes[path].errors[0].startswith(UNREADABLE)
        }
        return note_cache.save_cache(self.root, self._fingerprint(), entries)

    def refresh(self) -> list[str]:
        """Re-scan the folder and re-read only new or changed files (by mtime + size).

        Returns the vault-relative paths of notes added, changed or removed, sorted.
        """
        with _gc_paused():
            return self._refresh()

    def _refresh(self) -> list[str]:
        files, attachments = scan_files(self.root, self.config)
        staged = _Staged.copy_of(self)
        changed: list[str] = []
        seen: set[str] = set()
        for file in files:
            seen.add(file.path)
            known = staged.files.get(file.path)
            if known is None or (known.mtime_ns, known.size) != (file.mtime_ns, file.size):
                staged.put(file, self.config)
                changed.append(file.path)
        for path in [p for p in staged.notes if p not in seen]:
            staged.drop(path)
            changed.append(path)
        if changed or attachments != self.attachments:
            self._commit(staged, attachments)
            if changed and self.use_cache:
                self.save_cache()
        return sorted(changed)

    def reload_paths(self, paths: Iterable[str | Path]) -> list[str]:
        """Re-read the given notes (vault-relative or absolute paths) whatever their mtime;
        a path whose file is gone is removed, one the scan would not read (see
        ``is_note_path``) is ignored. Returns the vault-relative paths handled."""
        staged = _Staged.copy_of(self)
        handled: list[str] = []
        for raw in paths:
            path = self._relative(raw)
            if path is None or not is_note_path(path, self.config):
                continue
            if Path(raw).is_absolute():
                abs_path = Path(raw)  # its real (possibly NFD) name
            elif path in staged.files:
                abs_path = staged.files[path].abs_path
            else:
                abs_path = self.root / raw
            try:
                info = abs_path.stat()
            except OSError:
                if path in staged.notes:
                    staged.drop(path)
                    handled.append(path)
                continue
            staged.put(NoteFile(path, abs_path, info.st_mtime_ns, info.st_size), self.config)
            handled.append(path)
        if handled:
            self._commit(staged, self.attachments)
            if self.use_cache:
                self.save_cache()
        return sorted(handled)

    def _relative(self, raw: str | Path) -> str | None:
        candidate = Path(raw)
        if candidate.is_absolute():
            try:
                candidate = candidate.relative_to(self.root.resolve())
            except ValueError:
                try:
                    candidate = Path(raw).relative_to(self.root)
                except ValueError:
                    return None
        text = _nfc(candidate.as_posix())
        return None if text.startswith("../") else text

    def _commit(self, staged: _Staged, attachments: list[str]) -> None:
        """Make staged changes current in one go: readers holding the old ``notes`` dict
        keep iterating a dict that no longer changes under them."""
        self._files, self.attachments = staged.files, attachments
        self.notes = staged.notes
        self._rebuild()

    # ---- indexes and link resolution ------------------------------------------------------

    def _rebuild(self) -> None:
        """Recompute every index, every link's ``resolved`` and the backlinks."""
        if list(self.notes) != sorted(self.notes):
            self.notes = dict(sorted(self.notes.items()))
        self._names = names = NameIndex.build(self.notes, self.attachments)
        resolve = names.resolve
        backlinks: dict[str, set[str]] = {}
        for path, note in self.notes.items():
            for link in note.links:
                resolved = resolve(path, link)
                link.resolved = resolved
                if resolved is None:
                    continue
                link.is_attachment = not resolved.lower().endswith(".md")
                if resolved != path and not link.is_attachment:
                    backlinks.setdefault(resolved, set()).add(path)
        self._backlinks = {path: sorted(sources) for path, sources in backlinks.items()}

    # ---- queries ------------------------------------------------------------------------

    def get(self, path: str) -> Note | None:
        """The note at a vault-relative path (exact, NFC), or None."""
        return self.notes.get(_nfc(path))

    def parsed_note(self, path: str, mtime_ns: int, size: int) -> Note | None:
        """The loaded note ``path`` if it was read from exactly this file state (same stat as
        the parse cache trusts), else None: a `ports.ParsedNotes` for the search index."""
        file = self._files.get(path)
        if file is None or file.mtime_ns != mtime_ns or file.size != size:
            return None
        return self.notes.get(path)

    def file_path(self, path: str) -> Path:
        """Where note ``path`` (vault-relative, NFC) is on disk: its real name, which may be
        NFD (macOS), so never rebuild it as ``root / path``."""
        file = self._files.get(path)
        return file.abs_path if file is not None else self.root / path

    def find(self, ref: str) -> Note:
        """The note ``ref`` names: a vault-relative path (with or without ``.md``), a file
        name, a title or an alias (case-insensitive, NFC). NoteError if none or several."""
        text = _nfc(str(ref)).strip().replace("\\", "/")
        while text.startswith("./"):
            text = text[2:]
        if not text:
            raise NoteError("no note named ''")
        exact = self.notes.get(text) or self.notes.get(text + ".md")
        if exact is not None:
            return exact
        key = text.casefold()
        path = self._names.by_path.get(key)
        if path is not None and path in self.notes:
            return self.notes[path]
        try:  # a file path as the shell completes it (``notes/maml.md`` from the repo root)
            on_disk = self._relative(Path(ref).resolve()) if Path(ref).is_file() else None
        except OSError:
            on_disk = None
        if on_disk is not None and on_disk in self.notes:
            return self.notes[on_disk]
        stem = key.removesuffix(".md")
        by_file_name = [
            m
            for m in self._names.by_stem.get(posixpath.basename(stem), [])
            if "/" not in stem or ("/" + m.casefold()).endswith("/" + stem + ".md")
        ]
        for what, matches in (
            ("file name", by_file_name),
            ("title", self._names.by_title.get(key, [])),
            ("alias", self._names.by_alias.get(key, [])),
        ):
            unique = list(dict.fromkeys(matches))
            if len(unique) == 1:
                return self.notes[unique[0]]
            if len(unique) > 1:
                listed = ", ".join(unique[:5]) + (" ..." if len(unique) > 5 else "")
                raise NoteError(f"{ref!r} is ambiguous: it is the {what} of {listed}; give a path")
        raise NoteError(f"no note named {ref!r} in {self.root}")

    def backlinks(self, path: str) -> list[str]:
        """Paths of the notes that link to ``path`` (itself excluded), sorted."""
        return list(self._backlinks.get(_nfc(path), ()))

    def tag_counts(self) -> list[tuple[str, int]]:
        """``(tag, notes)`` pairs, most used first; a note tagged ``a/b/c`` also counts for
        ``a`` and ``a/b``, and each note counts once per tag (case-insensitive)."""
        counts: dict[str, int] = {}
        spelling: dict[str, str] = {}
        for note in self.notes.values():
            keys: set[str] = set()
            for tag in note.tags:
                parts = tag.split("/")
                for depth in range(1, len(parts) + 1):
                    prefix = "/".join(parts[:depth])
                    key = prefix.casefold()
                    if key not in keys:
                        keys.add(key)
                        spelling.setdefault(key, prefix)
            for key in keys:
                counts[key] = counts.get(key, 0) + 1
        return sorted(((spelling[k], c) for k, c in counts.items()), key=lambda tc: (-tc[1], tc[0]))

    def notes_with_tag(self, tag: str) -> list[Note]:
        """Notes tagged ``tag`` or one of its nested tags (``a`` finds ``a/b``), by path."""
        key = name_key(tag.strip().lstrip("#").strip("/"))
        if not key:
            return []
        child_prefix = key + "/"
        return [
            note
            for note in self.notes.values()
            if any((t := name_key(tag_)) == key or t.startswith(child_prefix) for tag_ in note.tags)
        ]

    def questions(self, open_only: bool = False) -> list[tuple[Note, Question]]:
        """Every question of every note (by note path, then number)."""
        return [
            (note, question)
            for note in self.notes.values()
            for question in note.questions
            if not open_only or question.status == "open"
        ]

    def check(self) -> dict:
        """Problems in the vault, in the ``notebase check --json`` shape."""
        broken_links: list[dict] = []
        missing_attachments: list[dict] = []
        undefined: list[dict] = []
        unused: list[dict] = []
        invalid: list[dict] = []
        marker_problems: list[dict] = []
        for path, note in self.notes.items():
            if not note.valid:
                invalid.append({"note": path, "error": "; ".join(note.errors)})
            for link in note.links:
                if link.experiment or link.resolved is not None:
                    continue
                entry = {"note": path, "target": link.target, "line": link.line}
                (missing_attachments if link.is_attachment else broken_links).append(entry)
            undefined += [{"note": path, "label": label} for label in note.undefined_footnotes]
            unused += [{"note": path, "label": label} for label in note.unused_footnotes]
            marker_problems += [
                {"note": path, "line": line, "problem": problem}
                for line, problem in note.results_problems
            ]
        return {
            "notes": len(self.notes),
            "broken_links": broken_links,
            "missing_attachments": missing_attachments,
            "undefined_footnotes": undefined,
            "unused_footnotes": unused,
            "invalid_notes": invalid,
            "results_marker_problems": marker_problems,
        }
