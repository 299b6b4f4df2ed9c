"""Property tests: parsing never raises on arbitrary input, and loading never changes a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notebase.core.links import inline_links
from notebase.core.note import Note
from notebase.core.parse import parse_note
from notebase.core.vault import Vault

# Pieces that exercise the parser's special cases, mixed with arbitrary text.
FRAGMENTS = st.sampled_from(
    [
        "---\n",
        "---\r\n",
        "\ufeff",
        "title: x\n",
        "tags: [a, '#b']\n",
        ": : [\n",
        "\n",
        "\r",
        "# ",
        "## 질문 & 확장\n",
        "## Questions\n",
        "1. ",
        "- [ ] ",
        "   ",
        "    ",
        "\t",
        "[[",
        "]]",
        "|",
        "#",
        "#태그",
        "![[",
        "](",
        "[x](a.md)",
        "`",
        "```\n",
        "~~~",
        "[^1]",
        "[^1]: ",
        "> ",
        "<!-- notebase:results experiment=e answers=1,x -->",
        "<!-- /notebase:results -->",
        "[[experiments/",
        "\x00",
        "\u200b",
        "한글",
        "e\u0301",
    ]
)
TEXT = st.lists(st.one_of(FRAGMENTS, st.text(max_size=12)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_parse_never_raises_on_arbitrary_text(text):
    note = parse_note("n.md", text.encode("utf-8", "surrogatepass"))
    assert isinstance(note, Note)
    assert note.valid == (not note.errors)
    # the never-raise safety net must not be what kept it alive: no internal errors
    assert not any(error.startswith("could not parse") for error in note.errors)
    for link in note.links:
        assert link.line >= 1


# Lines of links behind the prefixes (quote, list, indent, heading) that markdown-it cuts
# from its text, so that the parser has to find where each link sits in the body.
LINK_PIECES = st.one_of(
    st.sampled_from(
        [
            "[[노트]]",
            "[[a\\|b]]",
            "[[#절]]",
            "![[그림.png]]",
            "[[experiments/x]]",
            "[x](a.md)",
            "[^1]",
            "[^1]: ",
            "`",
            "```",
            " ",
            "  ",
            "\t",
            " #",
            "|",
            "[[",
            "]]",
            "](",
            "한글",
        ]
    ),
    st.text(max_size=4),
)
LINE_PREFIXES = st.sampled_from(["", "", "> ", "- ", "1. ", "  ", "\t", "# ", "    ", "> - "])
LINKY = st.lists(
    st.tuples(LINE_PREFIXES, st.lists(LINK_PIECES, max_size=6).map("".join)).map("".join),
    max_size=12,
).map("\n".join)


def link_fields(link):
    return (link.kind, link.target, link.heading, link.label, link.embed, link.experiment)


@settings(max_examples=300, deadline=None)
@given(LINKY)
def test_every_recorded_span_is_exactly_the_source_text(text):
    """What the renderer replaces: ``body[start:end]`` of a placed link is that link and
    nothing else, a footnote span is ``[^label]`` or a definition's ``[^label]:``."""
    note = parse_note("n.md", text.encode("utf-8", "surrogatepass"))
    body = note.body
    for link in note.links:
        if link.end == 0:
            continue  # broken over container lines by markdown-it: no place, left as written
        source = body[link.start : link.end]
        again, _, _ = inline_links(source)
        whole = [x for x in again if (x.start, x.end) == (0, len(source))]
        assert [link_fields(x) for x in whole] == [link_fields(link)], source
    starts = [start for start, _, _ in note.footnote_spans]
    assert starts == sorted(starts)
    for start, end, label in note.footnote_spans:
        assert body[start:end] in (f"[^{label}]", f"[^{label}]:")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_parse_never_raises_on_arbitrary_bytes(data):
    note = parse_note("n.md", data)
    assert isinstance(note, Note)
    assert note.title
    assert not any(error.startswith("could not parse") for error in note.errors)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(TEXT.map(str.encode), st.binary(max_size=80)), min_size=1, max_size=4))
def test_loading_a_vault_never_changes_its_files(contents):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for index, data in enumerate(contents):
            folder = root / ("sub" if index % 2 else "")
            folder.mkdir(exist_ok=True)
            (folder / f"노트 {index}.md").write_bytes(data)
            os.utime(folder / f"노트 {index}.md", ns=(10**18, 10**18))
        before = snapshot(root)
        vault = Vault.load(root, use_cache=True)
        vault.check()
        vault.tag_counts()
        vault.questions()
        for path in vault.notes:
            vault.backlinks(path)
        Vault.load(root, use_cache=True)  # warm path too
        assert snapshot(root) == before


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file, the cache folder left out (it is ours to write)."""
    result = {}
    for path in root.rglob("*"):
        if path.is_file() and ".notebase" not in path.parts:
            result[path.relative_to(root).as_posix()] = (path.read_bytes(), path.stat().st_mtime_ns)
    return result
