"""Korean-aware text analysis for the search index: Hangul as character bigrams, English
words lower-cased, stop-listed and stemmed.

Korean attaches particles to nouns (``메타러닝에서``) and spaces compounds inconsistently
(``메타 러닝`` / ``메타러닝``), so whole-word tokens miss most Korean queries. Lucene's CJK
approach fixes both: every run of CJK characters becomes overlapping two-character tokens.
On the index side runs separated only by spaces are joined first, so ``메타 러닝`` and
``메타러닝`` index the same bigrams; on the query side each word is a phrase of its own
bigrams, a trailing particle is dropped and one-syllable words are glued to a neighbour
(``query.py``).

``KoreanAnalyzer`` is pickled into the index's schema by whoosh: keep this module path and
the class name stable, and bump ``notebase.index.schema.SCHEMA_VERSION`` whenever what it
produces changes (the index is then rebuilt).
"""

from __future__ import annotations

import re
from functools import lru_cache

from whoosh.analysis import Analyzer, Token
from whoosh.analysis.filters import STOP_WORDS
from whoosh.lang.porter import stem as porter_stem

# Hangul syllables. (Kana and Han ideographs would be bigrammed the same way, but their
# 40,000-character ranges cost ~10 ms of regex compilation in every new process; in this
# Korean-first tool a Hanja or kana run stays one word token.)
CJK_RANGE = "\uac00-\ud7a3"
CJK_CHAR_RE = re.compile(f"[{CJK_RANGE}]")
# Index side: a CJK run may continue across whitespace (joined), or a word of other letters
# and digits. The apostrophe splits ("Dijkstra's" -> dijkstra, s; "s" is too short to keep).
_INDEX_TOKEN_RE = re.compile(f"(?P<cjk>[{CJK_RANGE}]+(?:\\s+[{CJK_RANGE}]+)*)|(?P<word>[^\\W_{CJK_RANGE}]+)")
# Query side: the same, but a CJK run never crosses a space.
_QUERY_TOKEN_RE = re.compile(f"(?P<cjk>[{CJK_RANGE}]+)|(?P<word>[^\\W_{CJK_RANGE}]+)")
_SPACE_RE = re.compile(r"\s+")

MIN_WORD_LENGTH = 2
MAX_WORD_LENGTH = 40


@lru_cache(maxsize=100_000)
def normalize_word(word: str) -> str | None:
    """A non-CJK word as indexed: lower-cased and Porter-stemmed; None when dropped
    (too short, too long, or an English stop word)."""
    lowered = word.lower()
    if len(lowered) < MIN_WORD_LENGTH or len(lowered) > MAX_WORD_LENGTH or lowered in STOP_WORDS:
        return None
    if lowered.isascii() and lowered.isalpha():
        return porter_stem(lowered)
    return lowered


def cjk_grams(run: str) -> list[str]:
    """Overlapping two-character tokens of a CJK run without spaces (one char: itself)."""
    if len(run) < 2:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_tokens(text: str) -> list[str]:
    """The tokens the index stores for ``text``, in order (for tests and benchmarks)."""
    return [token.text for token in KoreanAnalyzer()(text)]


class KoreanAnalyzer(Analyzer):
    """Index-side analyser: CJK runs (joined across spaces) as bigrams, other words
    normalised by ``normalize_word``. One pass, one reused Token (whoosh's convention)."""

    def __eq__(self, other: object) -> bool:
        return other.__class__ is self.__class__

    def __hash__(self) -> int:
        return hash(self.__class__.__name__)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        mode: str = "",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for match in _INDEX_TOKEN_RE.finditer(value):
            run = match.group("cjk")
            if run is not None:
                spaced = " " in run or "\n" in run or "\t" in run
                joined = _SPACE_RE.sub("", run) if spaced else run
                grams = cjk_grams(joined)
                if chars:
                    offsets = _char_offsets(run, match.start() + start_char)
                run_start = pos
                for i, gram in enumerate(grams):
                    token.text = gram
                    token.boost = 1.0
                    token.stopped = False
                    if keeporiginal:
                        token.original = gram
                    if positions:
                        token.pos = pos
                    if chars:
                        token.startchar = offsets[i]
                        token.endchar = offsets[min(i + len(gram) - 1, len(offsets) - 1)] + 1
                    pos += 1
                    yield token
                if spaced and len(joined) > 1:
                    # A one-syllable word inside a joined run (밝은 빛) also stands as
                    # itself, at the position of the bigram it starts (or ends), so a
                    # lone-syllable query finds it and phrases are undisturbed.
                    for i in _single_syllable_offsets(run):
                        token.text = joined[i]
                        token.boost = 1.0
                        token.stopped = False
                        if keeporiginal:
                            token.original = joined[i]
                        if positions:
                            token.pos = run_start + min(i, len(grams) - 1)
                        if chars:
                            token.startchar = offsets[i]
                            token.endchar = offsets[i] + 1
                        yield token
                continue
            word = match.group("word")
            normalized = normalize_word(word)
            if normalized is None:
                continue
            token.text = normalized
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + match.start()
                token.endchar = start_char + match.end()
            pos += 1
            yield token


def term_positions(value: str) -> dict[str, list[int]]:
    """What ``KoreanAnalyzer`` yields for ``value`` as term -> positions, in the order it
    yields them: the index writer's hot path (``fast_writer.py``), without a Token per
    term. A test keeps the two equal."""
    found: dict[str, list[int]] = {}
    pos = 0
    for match in _INDEX_TOKEN_RE.finditer(value):
        run = match.group("cjk")
        if run is not None:
            spaced = " " in run or "\n" in run or "\t" in run
            joined = _SPACE_RE.sub("", run) if spaced else run
            count = len(joined) - 1
            if count < 1:
                found.setdefault(joined, []).append(pos)
                pos += 1
                continue
            run_start = pos
            for i in range(count):
                gram = joined[i : i + 2]
                positions = found.get(gram)
                if positions is None:
                    found[gram] = [pos + i]
                else:
                    positions.append(pos + i)
            pos += count
            if spaced:
                for i in _single_syllable_offsets(run):
                    found.setdefault(joined[i], []).append(run_start + min(i, count - 1))
            continue
        normalized = normalize_word(match.group("word"))
        if normalized is None:
            continue
        positions = found.get(normalized)
        if positions is None:
            found[normalized] = [pos]
        else:
            positions.append(pos)
        pos += 1
    return found


def _single_syllable_offsets(run: str) -> list[int]:
    """Indexes, in the run with spaces removed, of its one-character words."""
    found = []
    offset = 0
    for word in run.split():
        if len(word) == 1:
            found.append(offset)
        offset += len(word)
    return found


def _char_offsets(run: str, base: int) -> list[int]:
    """Offset in the original text of each non-space character of ``run``."""
    return [base + i for i, ch in enumerate(run) if not ch.isspace()]


def query_segments(word: str) -> list[tuple[str, str]]:
    """Split one query word (no spaces) into ``("cjk", run)`` / ``("word", text)`` pieces."""
    segments = []
    for match in _QUERY_TOKEN_RE.finditer(word):
        if match.group("cjk") is not None:
            segments.append(("cjk", match.group("cjk")))
        else:
            segments.append(("word", match.group("word")))
    return segments


# Particles (josa) and a few endings that follow a noun in running text, longest first.
# Dropping one from a query word only ever widens the match (its bigrams are a prefix of
# the word's), so a wrong guess ("고양이" -> "고양") costs precision, never recall.
PARTICLES = tuple(
    sorted(
        {
            "에서는",
            "에서도",
            "에서의",
            "으로는",
            "으로도",
            "이라는",
            "이라고",
            "에게서",
            "에서",
            "에게",
            "으로",
            "로는",
            "로도",
            "에는",
            "에도",
            "까지",
            "부터",
            "처럼",
            "보다",
            "이나",
            "이란",
            "라는",
            "라고",
            "하고",
            "과의",
            "와의",
            "이다",
            "였다",
            "은",
            "는",
            "이",
            "가",
            "을",
            "를",
            "의",
            "에",
            "와",
            "과",
            "도",
            "만",
            "로",
            "란",
        },
        key=len,
        reverse=True,
    )
)


def strip_particle(run: str) -> str:
    """Drop a trailing particle from a Hangul query word of three or more syllables,
    keeping at least two syllables (``메타러닝에서`` -> ``메타러닝``; ``평가`` stays)."""
    if len(run) < 3:
        return run
    for particle in PARTICLES:
        if run.endswith(particle) and len(run) - len(particle) >= 2:
            return run[: -len(particle)]
    return run
