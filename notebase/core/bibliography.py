"""The vault's bibliography: a BibTeX file read with bibtexparser 2, and BibTeX written back.

The file is ``references.bib`` at the vault's root unless ``.notebase.toml`` names another
(``bibliography = "refs/library.bib"``, a path inside the vault; ``""`` for none). When it is
there it is the authority on the works the notes cite (`notebase.core.works`).

Reading never raises and never stops the vault: a file that is missing (when configured),
outside the vault (through a symbolic link), not UTF-8, too large, or holding entries that
do not parse gives one line in `Bibliography.problems`; the entries that did parse are used.
bibtexparser decodes LaTeX (``M{\\"u}ller`` -> ``Müller``) and splits names; this module
keeps what the works need (`BibEntry`) and each entry's text as written (``raw``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from notebase.config import VaultConfig

MAX_BIBLIOGRAPHY_BYTES = 32 * 1024 * 1024
"""A larger file is not read (a Zotero export of 10,000 entries is about 5 MB)."""
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_BRACES = re.compile(r"[{}]")
_VENUE_FIELDS = ("booktitle", "journal", "journaltitle", "howpublished", "publisher", "school")
_TEX_SPECIAL = re.compile(r"(?<!\\)([&%$#_])")


@dataclass(frozen=True, slots=True)
class BibEntry:
    """One entry of the bibliography, as the works compare it."""

    key: str
    entry_type: str
    authors: tuple[str, ...]
    """In natural order (``"Chelsea Finn"``, ``"Laurens van der Maaten"``)."""
    title: str | None
    venue: str | None
    """``booktitle``, else ``journal``, ``howpublished``, ``publisher`` ..."""
    year: int | None
    line: int
    """1-based line of the entry in the file."""
    raw: str
    """The entry as written in the file."""


@dataclass(slots=True)
class Bibliography:
    """The entries of one BibTeX file, and what went wrong reading it."""

    path: str
    """Vault-relative path of the file (``references.bib``)."""
    entries: list[BibEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One line each: ``references.bib: 2 entries could not be read (line 8: ...)``."""
    _by_key: dict[str, BibEntry] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self._by_key.setdefault(entry.key, entry)
            self._by_key.setdefault(entry.key.casefold(), entry)

    def get(self, key: str) -> BibEntry | None:
        """The entry of ``key`` (exact, else case-insensitive like BibTeX)."""
        return self._by_key.get(key) or self._by_key.get(key.casefold())


def read_bibliography(root: Path, config: VaultConfig) -> Bibliography | None:
    """The vault's bibliography, or None when there is none (no file where the default
    would be, or ``bibliography = ""``). Never raises: see the module docstring."""
    rel = config.bibliography_path
    if not rel:
        return None
    root = Path(root)
    path = root / rel
    name = rel
    try:
        if not path.exists():
            if config.bibliography is None:
                return None  # the default file is optional
            return Bibliography(rel, problems=[f"{name}: no such file (set in .notebase.toml)"])
        if not path.resolve().is_relative_to(root.resolve()):
            return Bibliography(rel, problems=[f"{name}: not read: it leads outside the vault"])
        if not path.is_file():
            return Bibliography(rel, problems=[f"{name}: not a file"])
        if path.stat().st_size > MAX_BIBLIOGRAPHY_BYTES:
            limit = MAX_BIBLIOGRAPHY_BYTES // (1024 * 1024)
            return Bibliography(rel, problems=[f"{name}: not read: larger than {limit} MB"])
        data = path.read_bytes()
    except OSError as exc:
        return Bibliography(rel, problems=[f"{name}: cannot read the file: {exc.strerror or exc}"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Bibliography(
            rel,
            problems=[f"{name}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"],
        )
    return parse_bibliography(text, rel)


def parse_bibliography(text: str, name: str = "references.bib") -> Bibliography:
    """The entries of BibTeX ``text``; blocks that do not parse become one problem line."""
    import bibtexparser  # its parser stack is only needed where a bibliography is read
    from bibtexparser import middlewares

    quiet = logging.getLogger("bibtexparser")  # it logs each bad block; we report them once
    quiet.propagate = False
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())
    try:
        library = bibtexparser.parse_string(
            text.replace("\r\n", "\n"),
            append_middleware=[
                _latex_decoder()(keep_braced_groups=True),
                middlewares.SeparateCoAuthors(),
                middlewares.SplitNameParts(),
            ],
        )
    except Exception as exc:  # bibtexparser is not meant to raise; if it does, say so once
        return Bibliography(name, problems=[f"{name}: could not be read ({type(exc).__name__})"])
    entries = [_entry(block) for block in library.entries]
    problems = []
    failed = library.failed_blocks
    if failed:
        first = failed[0]
        reason = " ".join(_failure(first).split())
        count = f"{len(failed)} entr{'y' if len(failed) == 1 else 'ies'}"
        where = f"line {first.start_line + 1}" if first.start_line is not None else "first"
        problems.append(f"{name}: {count} could not be read ({where}: {reason[:160]})")
    return Bibliography(name, entries=entries, problems=problems)


_DECODER = None


def _latex_decoder():
    """bibtexparser's LaTeX decoder, run only on strings that hold LaTeX (a backslash,
    ``~`` or ``$``): it costs ~0.2 ms a string, ~1 ms an entry, and most strings hold none
    (braces are dropped by this module). 5,000 entries: 4.4 s -> see bench/citations_bench."""
    global _DECODER
    if _DECODER is None:
        from bibtexparser.middlewares import LatexDecodingMiddleware

        class WhereNeeded(LatexDecodingMiddleware):
            def _transform_python_value_string(self, python_string: str) -> tuple[str, str]:
                if (
                    "\\" not in python_string
                    and "~" not in python_string
                    and "$" not in python_string
                ):
                    return python_string, ""
                return super()._transform_python_value_string(python_string)

        _DECODER = WhereNeeded
    return _DECODER


def _failure(block) -> str:
    """Why bibtexparser could not read ``block``, in its own words where it has some."""
    error = getattr(block, "error", None)
    for attribute in ("abort_reason", "message"):
        text = getattr(error, attribute, None)
        if isinstance(text, str) and text:
            return text
    return str(error or "") or type(block).__name__


def _entry(block) -> BibEntry:
    fields = block.fields_dict
    authors: tuple[str, ...] = ()
    author_field = fields.get("author") or fields.get("editor")
    if author_field is not None:
        value = author_field.value
        if isinstance(value, list):
            authors = tuple(n for n in (_natural(part) for part in value) if n)
    venue = next((_text(fields[k].value) for k in _VENUE_FIELDS if k in fields), None)
    if venue is None and "eprint" in fields:
        venue = "arXiv"
    year_text = _text(fields["year"].value) if "year" in fields else None
    if year_text is None and "date" in fields:
        year_text = _text(fields["date"].value)
    year = _YEAR.search(year_text or "")
    return BibEntry(
        key=block.key,
        entry_type=block.entry_type.lower(),
        authors=authors,
        title=_text(fields["title"].value) if "title" in fields else None,
        venue=venue,
        year=int(year.group(1)) if year else None,
        line=(block.start_line or 0) + 1,
        raw=block.raw or "",
    )


def _text(value) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(_BRACES.sub("", value).split())
    return text or None


def _natural(parts) -> str:
    """A bibtexparser ``NameParts`` in natural order: ``Laurens van der Maaten``, ``Jr.`` last;
    ``others`` is ``et al.``."""
    words = [*parts.first, *parts.von, *parts.last]
    if words == ["others"]:
        return "et al."  # BibTeX's "and others"
    name = " ".join(_BRACES.sub("", w) for w in words if w)
    if parts.jr:
        name += ", " + " ".join(parts.jr)
    return " ".join(name.split())


# ---- writing -------------------------------------------------------------------------------


def bibtex_name(name: str) -> str:
    """``Chelsea Finn`` -> ``Finn, Chelsea``; a one-word or non-Latin name as it is;
    ``et al.`` -> ``others`` (BibTeX's word for it)."""
    name = name.strip()
    if name == "et al.":
        return "others"
    words = name.split()
    if len(words) < 2 or not re.search(r"[A-Za-z]", name):
        return name
    return f"{words[-1]}, {' '.join(words[:-1])}"


def _field_value(text: str) -> str:
    """``text`` safe inside ``{...}``: LaTeX specials escaped, braces dropped."""
    return _TEX_SPECIAL.sub(r"\\\1", _BRACES.sub("", " ".join(text.split())))


def bibtex_entry(
    key: str,
    authors: tuple[str, ...] | list[str],
    title: str | None,
    venue: str | None,
    year: int | None,
) -> str:
    """A BibTeX entry for a work known only from its citations, written by bibtexparser:
    ``@inproceedings`` for a conference, ``@article`` for a journal or arXiv, else ``@misc``."""
    import bibtexparser
    from bibtexparser.model import Entry, Field

    kind, venue_field = "misc", "howpublished"
    lowered = (venue or "").casefold()
    if re.search(r"conference|proceedings|workshop|symposium|neurips|nips|icml|iclr|cvpr", lowered):
        kind, venue_field = "inproceedings", "booktitle"
    elif re.search(r"journal|transactions|letters|review|arxiv|science|nature|endowment", lowered):
        kind, venue_field = "article", "journal"
    fields = []
    if authors:
        fields.append(Field("author", " and ".join(_field_value(bibtex_name(a)) for a in authors)))
    for name, value in (("title", title), (venue_field, venue)):
        if value:
            fields.append(Field(name, _field_value(value)))
    if year:
        fields.append(Field("year", str(year)))
    library = bibtexparser.Library([Entry(kind, key, fields)])
    return bibtexparser.write_string(library).strip()
