"""Settings of one vault: which headings hold questions and sources, which folders to skip.

Defaults fit the project's note format (Korean and English headings). A vault may override
them in an optional ``<vault>/.notebase.toml``::

    question_headings = ["^질문", "^(open )?questions?\\b", "^할 일"]   # regexes, case-insensitive
    sources_headings = ["^출처", "^sources?\\b", "^references?\\b"]
    ignore_dirs = ["templates", "archive/old"]                          # added to the defaults
    bibliography = "refs/library.bib"   # the BibTeX file, inside the vault ("" for none)

Every folder whose name starts with a dot is skipped too (``.obsidian``, ``.git``,
``.notebase`` ...).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from notebase.errors import UserError

CONFIG_FILE_NAME = ".notebase.toml"

DEFAULT_QUESTION_HEADINGS = (
    r"^질문",  # 질문, 질문 & 확장, 질문들
    r"^(open\s+)?questions?\b",  # Questions, Open questions
)
DEFAULT_SOURCES_HEADINGS = (
    r"^출처",
    r"^참고\s*(문헌|자료)",
    r"^sources?\b",
    r"^references?\b",
    r"^bibliography\b",
)
DEFAULT_IGNORE_DIRS = frozenset({".notebase", ".obsidian", ".git", ".trash"})
DEFAULT_BIBLIOGRAPHY = "references.bib"

PARSER_VERSION = 8
"""Bump when parsing (``notebase.core.parse``, ``citation``) changes what a Note holds: it
invalidates the notes cache and the search index through `VaultConfig.fingerprint`. Kept
here, not in the parser, so that checking a fingerprint never imports markdown-it."""


@dataclass(slots=True)
class VaultConfig:
    """How to read one vault. Immutable in practice: build a new one to change it."""

    question_heading_patterns: list[str] = field(
        default_factory=lambda: list(DEFAULT_QUESTION_HEADINGS)
    )
    """Regexes (case-insensitive, searched in the heading text) of headings whose list
    items are open questions."""
    sources_heading_patterns: list[str] = field(
        default_factory=lambda: list(DEFAULT_SOURCES_HEADINGS)
    )
    """Regexes of headings under which footnote definitions (citations) are kept."""
    ignore_dirs: set[str] = field(default_factory=lambda: set(DEFAULT_IGNORE_DIRS))
    """Folder names (or vault-relative folder paths) never scanned; dot-folders always are."""
    bibliography: str | None = None
    """The vault's BibTeX file as set in ``.notebase.toml`` (a vault-relative path; ``""``:
    none); None when not set, then `bibliography_path` is ``references.bib``."""

    @property
    def bibliography_path(self) -> str:
        """The vault-relative path of the BibTeX file to read; ``""`` for none."""
        return DEFAULT_BIBLIOGRAPHY if self.bibliography is None else self.bibliography

    def skips_folder(self, name: str, rel_path: str) -> bool:
        """True for a folder never scanned: a dot-folder, or one named (by name or by
        vault-relative path) in ``ignore_dirs``."""
        return name.startswith(".") or name in self.ignore_dirs or rel_path in self.ignore_dirs

    def question_heading_regex(self) -> re.Pattern[str]:
        return _compile_any(tuple(self.question_heading_patterns))

    def fingerprint(self) -> str:
        """A string that changes whenever parsing results could change: the key of the notes
        cache and of the search index. Only what the parser reads counts (the sources
        headings serve write-back; ignored folders change the scan, which both redo)."""
        return repr((PARSER_VERSION, tuple(self.question_heading_patterns)))

    @classmethod
    def load(cls, vault_root: Path) -> VaultConfig:
        """Defaults, overridden by ``<vault>/.notebase.toml`` when present.

        A malformed file is a user mistake: UserError with the file and the reason.
        """
        config = cls()
        path = Path(vault_root) / CONFIG_FILE_NAME
        try:
            raw = path.read_bytes()
        except OSError:
            return config
        try:
            data = tomllib.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UserError(f"{path}: not valid TOML ({exc})") from None
        for key in data:
            if key not in ("question_headings", "sources_headings", "ignore_dirs", "bibliography"):
                raise UserError(f"{path}: unknown setting {key!r}")
        if "question_headings" in data:
            config.question_heading_patterns = _pattern_list(path, data, "question_headings")
        if "sources_headings" in data:
            config.sources_heading_patterns = _pattern_list(path, data, "sources_headings")
        if "ignore_dirs" in data:
            dirs = data["ignore_dirs"]
            if not isinstance(dirs, list) or not all(isinstance(d, str) for d in dirs):
                raise UserError(f"{path}: ignore_dirs must be a list of folder names")
            config.ignore_dirs |= {d.strip("/") for d in dirs if d.strip("/")}
        if "bibliography" in data:
            config.bibliography = _vault_relative(path, "bibliography", data["bibliography"])
        return config


def _vault_relative(path: Path, key: str, value) -> str:
    """A setting naming a file inside the vault: a relative path without ``..``."""
    if not isinstance(value, str):
        raise UserError(f"{path}: {key} must be a path inside the vault, like \"references.bib\"")
    text = value.strip().replace("\\", "/")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text) or ".." in parts:
        raise UserError(f"{path}: {key} must be a path inside the vault (got {value!r})")
    return "/".join(parts)


def _pattern_list(path: Path, data: dict, key: str) -> list[str]:
    patterns = data[key]
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise UserError(f"{path}: {key} must be a list of regular expressions")
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise UserError(f"{path}: {key}: bad regular expression {pattern!r} ({exc})") from None
    return list(patterns)


_COMPILED: dict[tuple[str, ...], re.Pattern[str]] = {}


def _compile_any(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled alternation per pattern set, cached: parsing calls this per note."""
    compiled = _COMPILED.get(patterns)
    if compiled is None:
        body = "|".join(f"(?:{p})" for p in patterns) or r"(?!)"
        compiled = re.compile(body, re.IGNORECASE)
        _COMPILED[patterns] = compiled
    return compiled
