"""How a link finds its file, the way Obsidian does.

`NameIndex` holds a vault's notes and attachments by every name a link may use (the path
from the vault root, the file name, a note's name without ``.md``, its aliases and title);
``NameIndex.resolve`` applies Obsidian's order to one link. `notebase.core.vault` builds
one after each load or refresh, resolves every link with it and finds notes by name.
"""

from __future__ import annotations

import posixpath
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from notebase.core.links import is_attachment_target
from notebase.core.note import Link, Note


def name_key(text: str) -> str:
    """How names are compared: Unicode NFC, case-insensitive."""
    return unicodedata.normalize("NFC", text).casefold()


def _pick(candidates: Iterable[str], from_path: str | None) -> str | None:
    """Several files match a link: prefer the linking note's folder, then the shortest path."""
    candidates = list(candidates)
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    if from_path is not None:
        folder = posixpath.dirname(from_path)
        same_folder = [c for c in candidates if posixpath.dirname(c) == folder]
        if same_folder:
            candidates = same_folder
    return min(candidates, key=lambda c: (c.count("/"), len(c), c))


@dataclass(frozen=True, slots=True)
class NameIndex:
    """A vault's notes and attachments by the names a link may use (keys case-folded)."""

    notes: Mapping[str, Note]
    """The vault's notes by path (an empty link names the linking note, if it is one)."""
    by_path: dict[str, str]
    """Vault path, and a note's path without ``.md``: a note wins over an attachment."""
    by_name: dict[str, list[str]]
    """File name (notes and attachments)."""
    by_stem: dict[str, list[str]]
    """A note's file name without ``.md``."""
    by_alias: dict[str, list[str]]
    """Each alias of a note (NFC, case-folded: `name_key`)."""
    by_title: dict[str, list[str]]
    """A note's title (`name_key`)."""

    @classmethod
    def build(cls, notes: Mapping[str, Note], attachments: Iterable[str]) -> NameIndex:
        """Index ``notes`` (by path, in path order) and ``attachments`` (vault paths)."""
        by_path: dict[str, str] = {}
        by_name: dict[str, list[str]] = {}
        by_stem: dict[str, list[str]] = {}
        by_alias: dict[str, list[str]] = {}
        by_title: dict[str, list[str]] = {}
        for path in attachments:
            key = path.casefold()
            by_path.setdefault(key, path)
            by_name.setdefault(posixpath.basename(key), []).append(path)
        for path, note in notes.items():
            key = path.casefold()
            by_path[key] = path  # a note wins over an attachment of the same name
            by_path.setdefault(key[:-3], path)
            name = posixpath.basename(key)
            by_name.setdefault(name, []).append(path)
            by_stem.setdefault(name[:-3], []).append(path)
            for alias in note.aliases:
                by_alias.setdefault(name_key(alias), []).append(path)
            if note.title:
                by_title.setdefault(name_key(note.title), []).append(path)
        return cls(notes, by_path, by_name, by_stem, by_alias, by_title)

    def resolve(self, from_path: str | None, link: Link) -> str | None:
        """The vault-relative path ``link`` points to, or None (broken, or an experiment).

        Order, like Obsidian: the path from the vault root; the path from the linking
        note's folder; a unique file name (or path suffix), preferring the linking note's
        folder, then the shortest path; then aliases and titles. Names compare
        case-insensitively after NFC normalisation; ``.md`` may be left out.
        """
        if link.experiment:
            return None
        target = unicodedata.normalize("NFC", link.target).strip()
        if not target:
            return from_path if from_path in self.notes else None
        if "\\" in target:
            target = target.replace("\\", "/")
        while target.startswith("./"):
            target = target[2:]
        full_key = target.casefold()
        key = full_key.lstrip("/")
        by_path = self.by_path
        relative_key = None
        folder = from_path.rpartition("/")[0] if from_path else ""
        if folder and not target.startswith("/"):
            if "./" in key:
                joined = posixpath.normpath(f"{folder}/{key}")
                relative_key = None if joined.startswith("..") else joined.casefold()
            else:
                relative_key = f"{folder.casefold()}/{key}"
        elif "./" in key:  # ../x from the vault root: normalise, stay inside
            joined = posixpath.normpath(key)
            key = joined if not joined.startswith("..") else key
        first, second = (relative_key, key) if link.kind == "markdown" else (key, relative_key)
        found = by_path.get(first) if first is not None else None
        if found is None and second is not None:
            found = by_path.get(second)
        if found is not None:
            return found

        name = key.rpartition("/")[2]
        attachment = link.is_attachment or is_attachment_target(target)
        candidates = self.by_name.get(name, [])
        if not attachment:
            candidates = candidates + self.by_stem.get(name, [])
        if candidates:
            if "/" in key:  # [[folder/note]] matches any path ending in folder/note
                suffix = "/" + key
                candidates = [
                    c for c in candidates if ("/" + c.casefold()).endswith((suffix, suffix + ".md"))
                ]
            found = _pick(list(dict.fromkeys(candidates)), from_path)
            if found is not None:
                return found
        if attachment:
            return None
        for index in (self.by_alias, self.by_title):
            matches = index.get(full_key)
            if matches:
                return _pick(matches, from_path)
        return None
