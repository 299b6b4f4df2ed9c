"""Creating a note: a file named after its title, with frontmatter, never over another file.

``create_note(vault, "메타러닝 메모", folder="ml", tags=["ml/meta"])`` writes
``ml/메타러닝 메모.md``::

    ---
    title: 메타러닝 메모
    created: 2026-11-29
    tags: [ml/meta]
    ---
    # 메타러닝 메모

With ``template="NAME"`` the body (and any frontmatter) comes from ``templates/NAME.md`` at
the vault root, ``{{title}}``, ``{{date}}`` and ``{{time}}`` filled in (Obsidian's core
Templates syntax); keys the template's frontmatter sets itself are left to it. The file is
written through `notebase.core.file_replace` as a new file: it never replaces one, not even
one that appears in the same instant, nor one whose name differs only in case or Unicode
normalisation (``Note.md`` beside ``note.md``; an NFD name synced from macOS).
"""

from __future__ import annotations

import os
import posixpath
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from notebase.config import VaultConfig
from notebase.core.file_replace import WriteRefused, is_inside, replace_if_holding
from notebase.core.markdown_blocks import normalize_newlines, split_frontmatter
from notebase.core.note_ops import (
    NoteOpError,
    clean_title,
    disk_path,
    existing_name,
    note_file_name,
    posix_join,
    split_rel,
    vault_folder,
)
from notebase.core.parse import is_tag_name

TEMPLATES_FOLDER = "templates"
"""Where ``--template NAME`` is looked up: ``<vault>/templates/NAME.md``."""



def note_target(
    vault_root: Path, title: str, folder: str = "", config: VaultConfig | None = None
) -> str:
    """The vault-relative path a note titled ``title`` in ``folder`` would get, without
    writing anything (for a dialog checking a title as it is typed: one listing of the
    folder). NoteOpError when the title leaves no file name, the folder is not the vault's,
    or a file of that name (in any case or normalisation) exists."""
    name = note_file_name(title)
    rel = vault_folder(vault_root, folder, config)
    taken = existing_name(disk_path(vault_root, rel), name)
    if taken is not None:
        shown = unicodedata.normalize("NFC", os.fsdecode(taken))
        raise NoteOpError(f"{posix_join(rel, shown)} already exists")
    return posix_join(rel, name)


def create_note(
    vault_root: Path,
    title: str,
    *,
    folder: str = "",
    tags: Sequence[str] = (),
    template: str | None = None,
    today: date | None = None,
) -> str:
    """Create the note ``title`` in ``folder`` (vault-relative, made if missing) and return
    its vault-relative POSIX path. NoteOpError (one line) when the title leaves no file
    name, a tag is not a tag, the template is missing, the folder is outside the vault or
    not read by it, or a file of that name (in any case or normalisation) exists."""
    vault_root = Path(vault_root)
    if not vault_root.is_dir():
        raise NoteOpError(f"vault folder {vault_root} does not exist")
    config = VaultConfig.load(vault_root)
    shown_title = clean_title(title)
    if shown_title[-3:].casefold() == ".md":
        shown_title = shown_title[:-3].rstrip()
    rel = note_target(vault_root, title, folder, config)
    folder_rel, name = posixpath.split(rel)
    tag_list = [_clean_tag(tag) for tag in tags]
    when = today or date.today()
    if template is not None:
        text, crlf = _from_template(vault_root, template, shown_title, when, tag_list)
    else:
        text, crlf = _frontmatter(shown_title, when, tag_list, {}) + f"# {shown_title}\n", False
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")

    folder_path = disk_path(vault_root, folder_rel)
    try:
        folder_path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise NoteOpError(f"cannot make folder {folder_rel!r} ({exc.strerror})") from None
    vault_folder(vault_root, folder_rel, config)  # again: made, it must still be inside
    _write_new(vault_root, folder_path / name, rel, data)
    return rel


def _write_new(vault_root: Path, path: Path, rel: str, data: bytes) -> None:
    """Write ``data`` as a new file at ``path``; never over an existing one."""
    try:
        outcome = replace_if_holding(path, None, data, vault_root=vault_root, label="the note")
    except WriteRefused as exc:
        raise NoteOpError(f"cannot create {rel}: {exc}") from None
    if outcome == "exists":
        raise NoteOpError(f"{rel} already exists")
    if outcome == "raced":
        raise NoteOpError(f"{rel} already exists (it appeared while being created)")
    if outcome == "moved":
        raise NoteOpError(f"cannot create {rel}: its folder moved meanwhile")


def _clean_tag(tag: str) -> str:
    text = clean_title(tag).lstrip("#").strip("/")
    if not is_tag_name(text):
        raise NoteOpError(
            f"{tag!r} is not a tag (letters, digits, '_', '-' and '/' for nesting; not only digits)"
        )
    return text


def _scalar(value: str) -> str:
    """``value`` as one YAML scalar (quoted only when plain text would read otherwise)."""
    import yaml

    dumped = yaml.safe_dump(value, allow_unicode=True, width=1 << 20)
    return dumped.removesuffix("\n").removesuffix("\n...").strip()


def _frontmatter(title: str, when: date, tags: list[str], own: dict) -> str:
    """The frontmatter block, without the keys in ``own`` (set by a template)."""
    lines = []
    if "title" not in own:
        lines.append(f"title: {_scalar(title)}")
    if "created" not in own:
        lines.append(f"created: {when.isoformat()}")
    if tags:
        lines.append(f"tags: [{', '.join(_scalar(tag) for tag in tags)}]")
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n"


def _from_template(
    vault_root: Path, template: str, title: str, when: date, tags: list[str]
) -> tuple[str, bool]:
    """The new note's text from a template (``\\n`` line ends) and whether the template used
    CRLF."""
    path = _template_path(vault_root, template)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise NoteOpError(f"cannot read template {template!r} ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise NoteOpError(f"template {template!r} is not UTF-8 text") from None
    crlf = "\r\n" in text
    now = datetime.now()
    for key, value in (
        ("title", title),
        ("date", when.isoformat()),
        ("time", now.strftime("%H:%M")),
    ):
        text = re.sub(r"\{\{\s*" + key + r"\s*\}\}", lambda _m, v=value: v, text)
    text = normalize_newlines(text)
    yaml_text, body, _ = split_frontmatter(text)
    if yaml_text is None:
        return _frontmatter(title, when, tags, {}) + body, crlf
    from notebase.core.frontmatter import load_frontmatter

    own, error = load_frontmatter(yaml_text)
    if error:
        raise NoteOpError(f"template {template!r}: {error}")
    if tags and "tags" in own:
        raise NoteOpError(
            f"template {template!r} sets tags itself; leave out the tags or edit the template"
        )
    ours = _frontmatter(title, when, tags, own)
    return ours.removesuffix("---\n") + yaml_text + "---\n" + body, crlf


def _template_path(vault_root: Path, template: str) -> Path:
    parts = split_rel(template)
    if not parts:
        raise NoteOpError("no template named ''")
    if parts[-1][-3:].casefold() != ".md":
        parts[-1] += ".md"
    folder = vault_root / TEMPLATES_FOLDER
    real_root = os.path.realpath(vault_root)
    here = folder
    for part in parts:
        found = existing_name(here, part)
        if found is None:
            available = _available(folder)
            hint = f" (templates: {available})" if available else f" (no templates in {folder})"
            raise NoteOpError(f"no template {template!r} in {TEMPLATES_FOLDER}/{hint}")
        here = here / found
    real = os.path.realpath(here)
    if not is_inside(real, real_root) or not os.path.isfile(real):
        raise NoteOpError(f"template {template!r} is not a file inside the vault")
    return here


def _available(folder: Path) -> str:
    try:
        names = sorted(p.stem for p in folder.glob("*.md"))
    except OSError:
        return ""
    return ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
