"""A note's YAML frontmatter: loading it, and the fields notebase reads from it.

``load_frontmatter`` never raises (a broken block is the note's error, not the caller's);
``read_fields`` fills in title, tags, aliases, created and experiments. The YAML is loaded
with python-frontmatter's handler (the third-party ``frontmatter`` package, not this module).
"""

from __future__ import annotations

import re
import unicodedata

from frontmatter.default_handlers import YAMLHandler

from notebase.core.note import Note

_YAML = YAMLHandler()


def load_frontmatter(yaml_text: str) -> tuple[dict, str | None]:
    """``(mapping, error)`` for the YAML between a note's ``---`` lines: ``({}, reason)``
    when it is broken, not a mapping or an alias bomb; never raises."""
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


def read_fields(note: Note, meta: dict) -> None:
    """Set ``note``'s title, tags, aliases, created and experiments from its frontmatter
    (tags and aliases NFC; odd values such as mappings are skipped)."""
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
