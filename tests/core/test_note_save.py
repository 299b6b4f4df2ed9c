"""save_note_text: an edited note's bytes differ from the original only where the text does,
and nothing is written over a file that changed since the editor read it."""

from __future__ import annotations

import os
import time

import pytest

from notebase.core.note_ops import NoteOpError
from notebase.core.note_save import (
    NoteChangedOnDisk,
    editable_text,
    restored_bytes,
    save_note_text,
)

BOM = b"\xef\xbb\xbf"


def _note(tmp_path, data: bytes, name: str = "메모.md"):
    (tmp_path / name).write_bytes(data)
    return name


def test_crlf_note_keeps_crlf(tmp_path):
    base = "---\r\ntitle: 메모\r\n---\r\n# 메모\r\n본문\r\n".encode()
    name = _note(tmp_path, base)
    text = editable_text(base)
    assert text == "---\ntitle: 메모\n---\n# 메모\n본문\n"
    assert save_note_text(tmp_path, name, text + "새 줄\n", base) is True
    assert (tmp_path / name).read_bytes() == base + "새 줄\r\n".encode()


def test_bom_is_kept(tmp_path):
    base = BOM + b"# A\nbody\n"
    name = _note(tmp_path, base)
    text = editable_text(base)
    assert not text.startswith("\ufeff")
    assert save_note_text(tmp_path, name, text.replace("body", "BODY"), base)
    assert (tmp_path / name).read_bytes() == BOM + b"# A\nBODY\n"


def test_no_op_save_writes_nothing(tmp_path):
    base = BOM + b"a\r\nb\nc\rd"
    name = _note(tmp_path, base)
    before = os.stat(tmp_path / name)
    assert save_note_text(tmp_path, name, editable_text(base), base) is False
    after = os.stat(tmp_path / name)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert (tmp_path / name).read_bytes() == base


def test_mixed_endings_keep_untouched_lines_byte_exact():
    base = b"one\r\ntwo\nthree\r\nfour\r\nlast"
    text = editable_text(base)
    assert text == "one\ntwo\nthree\nfour\nlast"
    edited = text.replace("three", "THREE").replace("last", "last\nmore")
    # CRLF is the usual ending (3 of 4): changed and new lines get it; the rest keep theirs.
    assert restored_bytes(base, edited) == b"one\r\ntwo\nTHREE\r\nfour\r\nlast\r\nmore"
    assert restored_bytes(base, text) == base


def test_one_line_edited_in_a_long_mixed_note_is_fast_and_byte_exact():
    # Blank lines and repeated bullets: what made matching every line against every other slow.
    shapes = ["", "- 항목", "본문", "- 항목"]
    lines = [shapes[n % 4].encode() + (b"\r\n" if n % 3 else b"\n") for n in range(20_000)]
    base = b"".join(lines)
    edited = editable_text(base).split("\n")
    edited[10_001] = "고친 항목"
    start = time.perf_counter()
    data = restored_bytes(base, "\n".join(edited))
    assert time.perf_counter() - start < 1.0  # was 13 s
    lines[10_001] = "고친 항목\r\n".encode()  # CRLF: the ending most lines have
    assert data == b"".join(lines)


def test_an_empty_line_next_to_a_lone_cr_stays_a_line():
    base = b"a\rb\nc\rd\n\ne"  # lone CR, LF: mixed; LF is the usual ending
    inserted = "a\n\nb\nc\nd\n\ne"  # an empty line after "a" (its ending a lone CR)
    assert restored_bytes(base, inserted) == b"a\r\rb\nc\rd\n\ne"
    joined = "a\nb\nc\n\ne"  # "d" deleted: its empty next line now follows "c\r"
    assert restored_bytes(base, joined) == b"a\rb\nc\r\re"
    for text in (inserted, joined):
        assert editable_text(restored_bytes(base, text)) == text


def test_final_newline_follows_the_text():
    assert restored_bytes(b"a\r\nb\r\n", "a\nb") == b"a\r\nb"
    assert restored_bytes(b"a\r\nb", "a\nb\n") == b"a\r\nb\r\n"
    assert restored_bytes(b"", "new\n") == b"new\n"


def test_changed_on_disk_is_not_overwritten(tmp_path):
    base = b"# A\nold\n"
    name = _note(tmp_path, base)
    text = editable_text(base)
    theirs = b"# A\nold\nwritten by someone else\n"
    (tmp_path / name).write_bytes(theirs)
    with pytest.raises(NoteChangedOnDisk, match="changed on disk"):
        save_note_text(tmp_path, name, text + "mine\n", base)
    assert (tmp_path / name).read_bytes() == theirs


def test_deleted_since_opened_is_not_recreated(tmp_path):
    base = b"# A\n"
    name = _note(tmp_path, base)
    (tmp_path / name).unlink()
    with pytest.raises(NoteChangedOnDisk, match="moved or deleted"):
        save_note_text(tmp_path, name, "# A\nmine\n", base)
    assert not (tmp_path / name).exists()


def test_read_only_note_is_refused(tmp_path):
    base = b"# A\n"
    name = _note(tmp_path, base)
    os.chmod(tmp_path / name, 0o444)
    with pytest.raises(NoteOpError, match="read-only"):
        save_note_text(tmp_path, name, "# A\nB\n", base)
    assert (tmp_path / name).read_bytes() == base


def test_outside_the_vault_is_refused(tmp_path):
    vault = tmp_path / "vault"
    vault.mkdir()
    outside = tmp_path / "outside.md"
    outside.write_bytes(b"x\n")
    (vault / "link.md").symlink_to(outside)
    with pytest.raises(NoteOpError, match="outside the vault"):
        save_note_text(vault, "link.md", "y\n", b"x\n")
    assert outside.read_bytes() == b"x\n"


def test_other_line_breaks_and_non_utf8_are_refused():
    with pytest.raises(NoteOpError, match="U\\+2028"):
        editable_text("a\u2028b".encode())
    with pytest.raises(NoteOpError, match="not UTF-8"):
        editable_text(b"\xff\xfe")
