"""When two citations name the same work, the same person, the same venue: the comparisons
the grouping of works (`notebase.core.works`) is built on.

- Titles compare by `title_key`: Unicode NFKC, diacritics dropped, case folded, every run of
  punctuation, quotes and spaces removed (``"Meta-Learning"`` = ``meta learning`` =
  ``MetaLearning``; ``메타 러닝`` = ``메타러닝``). `similar_titles` allows a typo's worth of
  edits on top (rapidfuzz's Levenshtein distance, at most one edit per 25 characters), so
  "networks"/"network" join but "first-order"/"second-order" stay apart.
- People compare by family name and the initials of their given names (`Person`):
  ``C. Finn`` = ``Chelsea Finn`` = ``Finn, Chelsea``; ``Tianqi Chen`` != ``Yutian Chen``. A
  name in Hangul (or any script without spaces between its parts) compares whole.
- Venues compare by `venue_key`: a known name or an acronym in it (``International Conference
  on Machine Learning (ICML)`` = ``ICML`` = ``Proceedings of the 34th ICML``; NIPS = NeurIPS).

Pure functions, no state: the grouping decides what to do with the answers.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz.distance import Levenshtein

ET_AL = "et al."
_WORD = re.compile(r"\w+")
_LATIN_TOKEN = re.compile(r"[A-Za-z]")
_HAS_SPACE_FREE_SCRIPT = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u9fff\uac00-\ud7a3]"
)
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_ACRONYM = re.compile(r"\b([A-Z][A-Za-z]*[A-Z][A-Za-z]*)\b")
_PAREN = re.compile(r"\(([^()]{2,20})\)")
TITLE_STOPWORDS = frozenset(
    "a an the on of in for to and with via towards toward is are how what why do does can "
    "we when from by at as".split()
)
"""Skipped when a generated key takes the title's first word (``nichol2018first``)."""

_VENUE_NAMES = {
    "internationalconferenceonmachinelearning": "icml",
    "internationalconferenceonlearningrepresentations": "iclr",
    "advancesinneuralinformationprocessingsystems": "neurips",
    "neuralinformationprocessingsystems": "neurips",
    "conferenceonneuralinformationprocessingsystems": "neurips",
    "nips": "neurips",
    "conferenceoncomputervisionandpatternrecognition": "cvpr",
    "ieeetransactionsonpatternanalysisandmachineintelligence": "tpami",
    "pami": "tpami",
    "journalofmachinelearningresearch": "jmlr",
    "arxivpreprint": "arxiv",
    "corr": "arxiv",
}
_KNOWN_VENUES = frozenset(_VENUE_NAMES.values()) | {
    "aaai", "acl", "emnlp", "naacl", "eccv", "iccv", "kdd", "www", "sigir", "colt", "aistats",
    "uai", "ijcai", "corl", "icra", "iros", "interspeech", "icassp", "pvldb", "vldb", "osdi",
    "sosp", "nsdi", "mlsys", "siam", "science", "nature",
}  # fmt: skip


def fold(text: str) -> str:
    """NFKC, diacritics dropped (``Müller`` -> ``muller``), case folded; Hangul kept whole."""
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        decomposed = unicodedata.normalize("NFD", text)
        stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
        text = unicodedata.normalize("NFC", stripped)
    return text.casefold()


@lru_cache(maxsize=65536)
def title_words(title: str) -> tuple[str, ...]:
    """The title's words, folded: what titles are compared on."""
    return tuple(_WORD.findall(fold(title)))


def title_key(title: str) -> str:
    """The title with case, accents, punctuation and spaces gone: equal keys, same title."""
    return "".join(title_words(title))


def typo_budget(key: str) -> int:
    """How many edits a title key of this length may differ by and still be the same."""
    return len(key) // 25


def similar_titles(a: str, b: str) -> bool:
    """True for two title keys a typo apart (see `typo_budget`); never for short titles."""
    budget = min(typo_budget(a), typo_budget(b))
    if budget == 0 or abs(len(a) - len(b)) > budget:
        return False
    return Levenshtein.distance(a, b, score_cutoff=budget) <= budget


def is_short_form(short: tuple[str, ...], full: tuple[str, ...]) -> bool:
    """True when title words ``short`` are the first words of ``full`` (``Model-Agnostic
    Meta-Learning`` of the full MAML title), at least two of them."""
    return 2 <= len(short) < len(full) and full[: len(short)] == short


class Person(NamedTuple):
    """One author, for comparing: the family name and the given names, folded. A tuple:
    hashed and compared in C (the grouping keys dictionaries by them)."""

    family: str
    given: tuple[str, ...]
    """Given names and initials in order, without dots (``("chelsea",)``, ``("s", "m")``)."""

    def compatible(self, other: Person) -> bool:
        """Same family name, and given names that do not contradict: an initial matches
        a name starting with it, a missing given name matches anything."""
        if self.family != other.family:
            return False
        for mine, theirs in zip(self.given, other.given, strict=False):
            if mine[0] != theirs[0]:
                return False
            if len(mine) > 1 and len(theirs) > 1 and mine != theirs:
                return False
        return True

    @property
    def completeness(self) -> int:
        return sum(len(name) for name in self.given)


@lru_cache(maxsize=65536)
def person(name: str) -> Person | None:
    """``Chelsea Finn`` / ``C. Finn`` / ``Finn, Chelsea`` / ``김철수`` as a `Person`;
    None for ``et al.`` and for text with no letters."""
    name = name.strip()
    if not name or name == ET_AL:
        return None
    if "," in name:  # "Family, Given" (a bibliography's order)
        family_part, _, given_part = name.partition(",")
        name = f"{given_part.strip()} {family_part.strip()}"
    words = [w for w in re.split(r"[\s.]+", fold(name)) if w]
    while len(words) > 1 and words[-1].strip(".") in _SUFFIXES:
        words.pop()
    if not words:
        return None
    if _HAS_SPACE_FREE_SCRIPT.search(words[-1]) or not _LATIN_TOKEN.search(name):
        return Person("".join(words), ())
    family = words[-1].replace("-", "").replace("'", "")
    given = tuple(w.replace("-", "") for w in words[:-1] if w.replace("-", ""))
    return Person(family, given)


@lru_cache(maxsize=65536)
def persons(names: tuple[str, ...]) -> tuple[tuple[Person, ...], bool]:
    """The people named in an author list, and whether it ends in ``et al.`` (is partial)."""
    people = tuple(p for p in (person(n) for n in names) if p is not None)
    return people, bool(names) and names[-1] == ET_AL


def authors_compatible(
    a: tuple[tuple[Person, ...], bool], b: tuple[tuple[Person, ...], bool]
) -> bool:
    """Two author lists that can name the same people in the same order: each pair
    compatible, and equally long unless one of them ends in ``et al.``."""
    (people_a, partial_a), (people_b, partial_b) = a, b
    if not people_a or not people_b:
        return True
    if len(people_a) != len(people_b):
        shorter_partial = partial_a if len(people_a) < len(people_b) else partial_b
        if not shorter_partial:
            return False
    return all(x.compatible(y) for x, y in zip(people_a, people_b, strict=False))


def family_key(name: str) -> str:
    """The folded family name of ``name`` (``""`` when there is none): keys and blocking."""
    found = person(name)
    return found.family if found is not None else ""


@lru_cache(maxsize=4096)
def venue_key(venue: str | None) -> str:
    """A venue's comparable name: a known venue or acronym in it, else its folded words."""
    if not venue:
        return ""
    compact = "".join(_WORD.findall(fold(re.sub(r"\d+(st|nd|rd|th)?\b", " ", venue))))
    for name, key in _VENUE_NAMES.items():
        if name == compact or (len(name) > 8 and name in compact):
            return key
    for match in _PAREN.finditer(venue):
        inner = "".join(_WORD.findall(fold(match.group(1))))
        if inner in _KNOWN_VENUES or inner in _VENUE_NAMES:
            return _VENUE_NAMES.get(inner, inner)
    for match in _ACRONYM.finditer(venue):
        word = fold(match.group(1))
        if word in _KNOWN_VENUES or word in _VENUE_NAMES:
            return _VENUE_NAMES.get(word, word)
    for word in _WORD.findall(fold(venue)):
        if word in _KNOWN_VENUES:
            return word
    compact = re.sub(r"^(proceedingsofthe|proceedingsof|in)", "", compact)
    return compact


def key_word(text: str) -> str:
    """``text`` as a citation-key part: ASCII letters and digits, lower case (other
    scripts kept as they are when nothing ASCII is left)."""
    folded = fold(text)
    ascii_part = re.sub(r"[^a-z0-9]", "", folded)
    return ascii_part or "".join(_WORD.findall(folded)).replace("_", "")
