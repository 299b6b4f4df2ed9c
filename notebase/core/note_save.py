"""Saving a note's text as edited in the app: the one rule for turning an editor's text back
into the note's bytes, and writing them only over the bytes the editor started from.

An editor works on ``editable_text(base)``: the note decoded, without its byte-order mark,
every line ending (CRLF, LF, a lone CR) made ``\\n``. ``save_note_text`` turns the edited text
back into bytes that differ from ``base`` only where the text does:

- the BOM is put back when the note had one;
- lines left as they were keep their own line ending, byte for byte (a note that mixes CRLF
  and LF keeps its mix); a new line gets the ending most of the note's lines have (CRLF for a
  CRLF note, else LF), except an empty line after one ending in a lone CR, which ends CR too
  (CR then LF would read as one line ending); whether the note ends with a line ending is
  whatever the text says;
- text equal to ``editable_text(base)`` writes nothing.

The write goes through `notebase.core.file_replace` (atomic, inside the vault, owner and mode
kept) and happens only while the file still holds exactly ``base``: an edit made on disk
since the editor read it (another editor, a sync, a run writing results) is never
overwritten. The caller keeps the user's text and says so.

Characters other than CR and LF that some editors take as line breaks (form feed, U+2028 ...)
would be turned into ``\\n`` by them: ``editable_text`` refuses such a note instead.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from notebase.core.file_replace import WriteRefused, replace_if_holding
from notebase.core.markdown_blocks import normalize_newlines
from notebase.core.note_ops import NoteOpError

BOM = b"\xef\xbb\xbf"

_LINE = re.compile(r"([^\r\n]*)(\r\n|\n|\r|$)")
_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
"""What ``str.splitlines`` (and so Textual's TextArea) also splits lines at."""


class NoteChangedOnDisk(NoteOpError):
    """The note's file no longer holds the bytes the editor started from; nothing written."""


def _decode(base: bytes) -> str:
    try:
        return base.removeprefix(BOM).decode("utf-8")
    except UnicodeDecodeError:
        raise NoteOpError("the note is not UTF-8 text; it cannot be edited here") from None


def _lines(text: str) -> list[tuple[str, str]]:
    """``(content, ending)`` of each line; the last one's ending is ``""`` (maybe empty)."""
    found = [(m.group(1), m.group(2)) for m in _LINE.finditer(text)]
    # finditer ends with an empty match after a final line ending, or at the end: keep one.
    while len(found) > 1 and found[-1] == ("", "") and found[-2][1] == "":
        found.pop()
    return found


def editable_text(base: bytes) -> str:
    """The note's text as an editor shows it: no BOM, every line ending ``\\n``. Raises
    NoteOpError (one line) when it is not UTF-8 or holds other line-break characters."""
    text = _decode(base)
    odd = _OTHER_BREAKS.search(text)
    if odd is not None:
        raise NoteOpError(
            f"the note contains U+{ord(odd.group()):04X}, which the in-app editor would turn "
            "into a line break; edit it with e ($EDITOR) instead"
        )
    return normalize_newlines(text)


def restored_bytes(base: bytes, text: str) -> bytes:
    """``text`` (lines ending ``\\n``) as the note's bytes, in ``base``'s BOM and line endings."""
    old = _lines(_decode(base))
    endings = [ending for _content, ending in old if ending]
    usual = "\r\n" if endings.count("\r\n") > len(endings) / 2 else "\n"
    new = text.split("\n")
    out: list[str] = []
    if len(set(endings)) <= 1:  # one style (or none): every line ending becomes it
        out.append((endings[0] if endings else usual).join(new))
    else:
        for tag, i1, i2, j1, j2 in _line_opcodes([c for c, _ in old], new):
            if tag == "equal":
                out.extend(content + (ending or usual) for content, ending in old[i1:i2])
            else:
                out.extend(line + usual for line in new[j1:j2])
        # Each piece is one line of ``new`` with an ending; the text's last line has none.
        out[-1] = out[-1].removesuffix("\r\n").removesuffix("\n").removesuffix("\r")
        # A kept lone CR before an empty line ending LF would read as one CRLF, losing a line
        # (the two were never next to each other in the note): the empty line ends CR too.
        for k in range(1, len(out)):
            if out[k] == "\n" and out[k - 1].endswith("\r"):
                out[k] = "\r"
    data = "".join(out).encode("utf-8")
    return BOM + data if base.startswith(BOM) else data


def _line_opcodes(old: list[str], new: list[str]) -> list[tuple[str, int, int, int, int]]:
    """``difflib`` opcodes from ``old`` to ``new``: the lines both start and end with are
    equal as they stand, and only the lines between are matched by ``SequenceMatcher``
    (quadratic in what it is given). An editor's change is local, so this is linear for it:
    one line edited in a 20,000-line note compares two lines, not 20,000."""
    limit = min(len(old), len(new))
    head = 0
    while head < limit and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < limit - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    old_end, new_end = len(old) - tail, len(new) - tail
    opcodes = [("equal", 0, head, 0, head)] if head else []
    if head < old_end or head < new_end:
        matcher = difflib.SequenceMatcher(
            None, old[head:old_end], new[head:new_end], autojunk=False
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            opcodes.append((tag, head + i1, head + i2, head + j1, head + j2))
    if tail:
        opcodes.append(("equal", old_end, len(old), new_end, len(new)))
    return opcodes


def save_note_text(vault_root: Path, path: str | Path, text: str, base: bytes) -> bool:
    """Write ``text``, edited from ``editable_text(base)``, to the note at ``path`` (relative
    to ``vault_root``, or the note's real file). False when the text is unchanged (nothing
    written), True once written. Raises NoteChangedOnDisk when the file no longer holds
    ``base`` (changed, moved or deleted meanwhile), NoteOpError when it cannot be written."""
    if text == editable_text(base):
        return False
    data = restored_bytes(base, text)
    file = Path(vault_root) / path
    shown = file.relative_to(vault_root).as_posix() if file.is_relative_to(vault_root) else file
    try:
        outcome = replace_if_holding(file, base, data, vault_root=vault_root, label="the note")
    except WriteRefused as refusal:
        raise NoteOpError(str(refusal)) from None
    if outcome == "gone":
        raise NoteChangedOnDisk(f"{shown} was moved or deleted since it was opened; not saved")
    if outcome != "written":
        raise NoteChangedOnDisk(
            f"{shown} changed on disk since it was opened; not saved "
            "(your text is still in the editor)"
        )
    return True
