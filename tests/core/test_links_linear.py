"""Hostile lines must not make the inline link/footnote scan quadratic (issue 11, defect 11)."""

from __future__ import annotations

import time

import pytest

from notebase.core.parse import parse_note


@pytest.mark.parametrize("line", ["[^" * 50_000, "[^a" * 50_000, "[^" * 50_000 + "]"])
def test_unclosed_footnote_refs_parse_in_linear_time(line):
    start = time.perf_counter()
    note = parse_note("악성.md", f"# 제목\n\n{line}\n".encode())
    # Quadratic backtracking took ~17 s on the first line; linear takes ~20 ms.
    assert time.perf_counter() - start < 2.0
    assert note.valid


def test_footnote_refs_still_found():
    note = parse_note("a.md", "본문[^1]과 [^출처-2].\n\n[^1]: a\n[^출처-2]: b\n".encode())
    assert {f.label: f.references for f in note.footnotes} == {"1": 1, "출처-2": 1}
