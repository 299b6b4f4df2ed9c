"""How names and what is typed are compared when matching note names as the user types (the
quick switcher, the editor's ``[[`` completion): NFC, case-folded, spaces collapsed, and Hangul
syllables split into their jamo -- compound vowels and final consonants too (``닭`` ->
``ㄷㅏㄹㄱ``) -- so a query whose last syllable is still half typed (``메탈`` on the way to
``메타러닝``) is a prefix of the name; ``initials`` gives each syllable's initial consonant
(``메타러닝`` -> ``ㅁㅌㄹㄴ``).
"""

from __future__ import annotations

import unicodedata

_CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_JUNGSEONG = "ㅏ ㅐ ㅑ ㅒ ㅓ ㅔ ㅕ ㅖ ㅗ ㅗㅏ ㅗㅐ ㅗㅣ ㅛ ㅜ ㅜㅓ ㅜㅔ ㅜㅣ ㅠ ㅡ ㅡㅣ ㅣ".split()
_JONGSEONG = [""] + (
    "ㄱ ㄲ ㄱㅅ ㄴ ㄴㅈ ㄴㅎ ㄷ ㄹ ㄹㄱ ㄹㅁ ㄹㅂ ㄹㅅ ㄹㅌ ㄹㅍ ㄹㅎ ㅁ ㅂ ㅂㅅ ㅅ ㅆ ㅇ ㅈ ㅊ ㅋ ㅌ ㅍ ㅎ"
).split()
_COMPOUND = {  # compatibility jamo typed on their own
    "ㄳ": "ㄱㅅ", "ㄵ": "ㄴㅈ", "ㄶ": "ㄴㅎ", "ㄺ": "ㄹㄱ", "ㄻ": "ㄹㅁ", "ㄼ": "ㄹㅂ",
    "ㄽ": "ㄹㅅ", "ㄾ": "ㄹㅌ", "ㄿ": "ㄹㅍ", "ㅀ": "ㄹㅎ", "ㅄ": "ㅂㅅ", "ㅘ": "ㅗㅏ",
    "ㅙ": "ㅗㅐ", "ㅚ": "ㅗㅣ", "ㅝ": "ㅜㅓ", "ㅞ": "ㅜㅔ", "ㅟ": "ㅜㅣ", "ㅢ": "ㅡㅣ",
}  # fmt: skip
_tables: tuple[dict[int, str], dict[int, str]] | None = None


def _jamo_tables() -> tuple[dict[int, str], dict[int, str]]:
    """``str.translate`` tables: every Hangul syllable to its jamo, and to its initial."""
    global _tables
    if _tables is None:
        jamo: dict[int, str] = {ord(k): v for k, v in _COMPOUND.items()}
        initials: dict[int, str] = {}
        for index in range(11172):
            lead, rest = divmod(index, 588)
            vowel, tail = divmod(rest, 28)
            code = 0xAC00 + index
            jamo[code] = _CHOSEONG[lead] + _JUNGSEONG[vowel] + _JONGSEONG[tail]
            initials[code] = _CHOSEONG[lead]
        _tables = jamo, initials
    return _tables


def fold(text: str) -> str:
    """How names and queries are compared: NFC, case-folded, spaces collapsed, Hangul
    syllables (and compound jamo) split into single jamo."""
    text = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return text.translate(_jamo_tables()[0])


def initials(text: str) -> str:
    """The initial consonant of each Hangul syllable (other characters kept), folded."""
    text = " ".join(unicodedata.normalize("NFC", text).casefold().split())
    return text.translate(_jamo_tables()[1])


def consonants_only(query: str) -> bool:
    """Whether a (folded) query is Hangul initial consonants only (``ㅁㅌ``)."""
    return bool(query) and all(char in _CHOSEONG or char == " " for char in query)
