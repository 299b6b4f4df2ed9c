"""Notes drawn the way Obsidian shows them: CJK emphasis, math, callouts, comments,
highlights, block ids, embeds, images, raw HTML, unreadable notes; through the renderer
and through the real app."""

from __future__ import annotations

import time

from notebase.core.vault import Vault
from notebase.tui.app import make_app
from notebase.tui.render import MAX_EMBED_DEPTH, make_href, note_markdown
from notebase.tui.widgets.note_body import NoteBody, render_markdown

from .conftest import SIZE, settle, wait_for

WIDTH = 80


def load(tmp_path, files: dict[str, str | bytes]) -> Vault:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return Vault.load(tmp_path, use_cache=False)


def lines(source: str) -> list[str]:
    return ["".join(s.text for s in line).rstrip() for line in render_markdown(source, WIDTH).lines]


def shown(source: str) -> str:
    return "\n".join(lines(source))


def style_of(source: str, text: str):
    """The style of the first rendered segment that holds ``text``."""
    for line in render_markdown(source, WIDTH).lines:
        for segment in line:
            if text in segment.text:
                return segment.style
    raise AssertionError(f"{text!r} not rendered in {shown(source)!r}")


# --- 2. emphasis before Korean particles ------------------------------------------------


def test_bold_closes_before_a_korean_particle():
    source = (
        "**메타 그라디언트(Meta-gradient)**를 계산한다.\n\n"
        "**그라디언트(Gradient)**를 구하고 **이계 미분**이 필요하다.\n\n"
        "를**(괄호)**도 굵게, *기울임(italic)*은 기울임.\n"
    )
    text = shown(source)
    assert "*" not in text
    assert "메타 그라디언트(Meta-gradient)를 계산한다." in text
    assert style_of(source, "메타 그라디언트(Meta-gradient)").bold
    assert style_of(source, "그라디언트(Gradient)").bold
    assert style_of(source, "이계 미분").bold
    assert style_of(source, "(괄호)").bold
    assert style_of(source, "기울임(italic)").italic
    assert not style_of(source, "를 계산한다").bold
    # "_" inside words stays as written (CommonMark), Korean around it or not
    assert shown("a_b_c 와 변수_이름_이다") == "a_b_c 와 변수_이름_이다"


# --- 1. math ----------------------------------------------------------------------------


def test_math_is_kept_verbatim_and_styled():
    source = r"손실 $\mathcal{L}^{val}_i$ 의 $\nabla_\theta$ 기울기, costs $5 and $10." + "\n"
    text = shown(source)
    assert r"\mathcal{L}^{val}_i" in text and r"\nabla_\theta" in text
    assert "costs $5 and $10." in text
    assert style_of(source, r"\nabla_\theta").italic
    assert not style_of(source, "costs").italic


def test_display_math_block_is_verbatim():
    source = "앞 문단\n$$\n\\theta' = \\theta - \\alpha \\nabla_\\theta \\mathcal{L}_i\n- b_2 * c *\n$$\n뒤\n"
    text = lines(source)
    assert any("\\theta' = \\theta - \\alpha \\nabla_\\theta \\mathcal{L}_i" in line for line in text)
    assert any(line.strip() == "- b_2 * c *" for line in text)  # not a list, no emphasis
    assert "$$" not in "\n".join(text)
    assert "뒤" in text[-1]


# --- 3. callouts ------------------------------------------------------------------------


def test_callouts_show_type_title_and_fold_state():
    source = (
        "> [!tip]- 접힌 제목\n> 숨은 본문\n\n"
        "> [!note]+ Title\n> 열린 **본문**\n\n"
        "> [!warning]\n> 조심하라\n\n"
        "> 그냥 인용\n"
    )
    text = lines(source)
    joined = "\n".join(text)
    assert any(line.startswith("▸") and "접힌 제목" in line for line in text)
    assert "숨은 본문" not in joined
    assert any(line.startswith("▾") and "Title" in line for line in text)
    assert any("열린 본문" in line for line in text)
    assert style_of(source, "본문").bold  # the body is Markdown
    assert "▾ ⚠ Warning" in text  # no fold sign: open; the type's name as default title
    assert any("조심하라" in line for line in text)
    assert "[!" not in joined
    assert any("▌ 그냥 인용" in line for line in text)
    assert lines("> [!tip]- 제목\n> 본문\n") == ["▸ ✦ 제목 …"]  # no blank line above it
    # each type has its colour
    assert style_of(source, "접힌 제목").color != style_of(source, "Warning").color


def test_callout_titles_show_their_text_and_quoted_headings_are_not_the_notes():
    from notebase.tui.widgets.note_body import HEADING_META

    source = "# 위\n\n> [!note]- **굵은** 제목 `코드`\n> ### 안의 제목\n\n> ## 인용 안\n\n## 절\n"
    rendered = render_markdown(source, WIDTH)
    assert any("✎ 굵은 제목 코드" in line for line in lines(source))
    marked = {
        s.style.meta[HEADING_META]
        for line in rendered.lines
        for s in line
        if s.style is not None and HEADING_META in s.style.meta
    }
    assert marked == {"위", "절"}  # the outline and [[#heading]] see the note's own


# --- 4. comments, highlights, block ids --------------------------------------------------


def test_comments_highlights_and_block_ids(tmp_path):
    vault = load(
        tmp_path,
        {
            "노트.md": (
                "보이는 %%숨은 말%% 글 ==형광 **펜**== 끝.\n\n"
                "%%\n여러 줄 주석\n\n[[다른]] 도 숨음\n%%\n\n"
                "문단 끝에 블록 ^b15695\n\n`%%코드%%` 와 `==코드==`\n"
            ),
            "다른.md": "# 다른\n",
        },
    )
    source = note_markdown(vault.get("노트.md"))
    text = shown(source)
    assert "숨은 말" not in text and "여러 줄 주석" not in text and "숨음" not in text
    assert "%%코드%%" in text and "==코드==" in text
    assert "형광 펜 끝" in text and "==형광" not in text
    assert style_of(source, "형광").bgcolor is not None
    assert "문단 끝에 블록" in text and "^b15695" not in text


# --- 5. embeds ---------------------------------------------------------------------------

EMBED_VAULT = {
    "노트.md": (
        "# 노트\n\n앞 문단\n![[대상#절]]\n뒤 문단\n\n- ![[대상#^blk]]\n\n"
        "인라인 ![[대상]] 링크\n\n![[없는 노트]]\n\n![[대상#없는 절]]\n\n![[루프]]\n"
    ),
    "대상.md": (
        "---\ntitle: 대상\n---\n# 대상\n\n## 절\n\n절의 **본문** [[노트]].\n\n"
        "블록 문단 ^blk\n\n## 다른\n\n다른 것\n"
    ),
    "루프.md": "# 루프\n\n루프 본문\n\n![[루프2]]\n",
    "루프2.md": "# 루프2\n\n![[루프]]\n",
    "깊이0.md": "![[깊이1]]\n",
    "깊이1.md": "하나\n\n![[깊이2]]\n",
    "깊이2.md": "둘\n\n![[깊이3]]\n",
    "깊이3.md": "셋\n\n![[깊이4]]\n",
    "깊이4.md": "넷\n",
}


def test_embeds_of_a_heading_and_a_block_are_transcluded(tmp_path):
    vault = load(tmp_path, EMBED_VAULT)
    source = note_markdown(vault.get("노트.md"), embed=vault.notes.get)
    text = lines(source)
    joined = "\n".join(text)
    # the heading's section, in a quote box titled with its source, links working
    assert any("↪ 대상 › 절" in line and line.startswith("▌") for line in text)
    assert any("절의 본문 노트." in line and line.startswith("▌") for line in text)
    assert "다른 것" not in joined  # the next section is not part of it
    assert f"({make_href('note', '노트.md')})" in source
    # the block (its id hidden), inside a list item
    assert any(line.strip() == "▌ 블록 문단" for line in text)
    # text around an own-line embed stays in its paragraphs
    assert "앞 문단" in joined and "뒤 문단" in joined
    # an embed in the middle of a line is a link; missing ones say so
    assert any("인라인 ↪ 대상 링크" in line for line in text)
    assert "missing embed: 없는 노트" in joined
    assert "missing embed: 대상 › 없는 절" in joined
    assert "attachment" not in joined and "title:" not in joined  # no frontmatter shown


def test_embed_cycles_and_depth_are_limited(tmp_path):
    vault = load(tmp_path, EMBED_VAULT)
    loop = shown(note_markdown(vault.get("루프.md"), embed=vault.notes.get))
    # 루프 embeds 루프2, which embeds 루프 again: shown once, then a link
    assert loop.count("루프 본문") == 1 and "루프2" in loop
    assert "↪ 루프 (embed cycle: not shown again)" in loop
    deep = shown(note_markdown(vault.get("깊이0.md"), embed=vault.notes.get))
    assert MAX_EMBED_DEPTH == 3
    assert "하나" in deep and "둘" in deep and "셋" in deep
    assert "넷" not in deep and "nested too deep" in deep
    # without an embed source (lists, the CLI) an embed is a link
    assert "↪" not in note_markdown(vault.get("깊이0.md"))


# --- 6. images ---------------------------------------------------------------------------


def test_images_fall_back_to_a_link_that_opens_them(tmp_path):
    vault = load(
        tmp_path,
        {
            "노트.md": "![[plot.png]]\n\n![그림](figs/fig.png)\n\n![[없는.png]]\n",
            "plot.png": b"\x89PNG",
            "figs/fig.png": b"\x89PNG",
        },
    )
    source = note_markdown(vault.get("노트.md"), embed=vault.notes.get)
    assert f"[🖼 plot.png (click to open)]({make_href('open', 'plot.png')})" in source
    assert f"({make_href('open', 'figs/fig.png')})" in source
    text = shown(source)
    assert "🖼 plot.png (click to open)" in text and "🖼 그림 (click to open)" in text
    assert "🖼 없는.png (missing)" in text


def png(path, size=(40, 20)):
    """A real PNG: red above, blue below."""
    from PIL import Image

    image = Image.new("RGB", size, (255, 0, 0))
    image.paste((0, 0, 255), (0, size[1] // 2, size[0], size[1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def preview_rows(rendered) -> list[int]:
    return [
        y for y, line in enumerate(rendered.lines)
        if line and all(s.text == "▀" and s.style.bgcolor for s in line if s.text.strip())
        and any(s.text == "▀" for s in line)
    ]


def test_images_are_previewed_when_they_can_be_read(tmp_path):
    png(tmp_path / "plot.png")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    source = (
        f"[🖼 plot.png (click to open)]({make_href('open', 'plot.png')})\n\n"
        f"[🖼 broken.png (click to open)]({make_href('open', 'broken.png')})\n"
    )
    files = {"plot.png": tmp_path / "plot.png", "broken.png": tmp_path / "broken.png"}
    rendered = render_markdown(source, WIDTH, images=files.get)
    rows = preview_rows(rendered)
    assert len(rows) == 10  # 40 x 20 pixels: 40 columns, two pixels a row
    top = next(s for s in rendered.lines[rows[0]] if s.text == "▀").style
    bottom = next(s for s in rendered.lines[rows[-1]] if s.text == "▀").style
    assert top.color.triplet == (255, 0, 0) and bottom.bgcolor.triplet == (0, 0, 255)
    text = ["".join(s.text for s in line).rstrip() for line in rendered.lines]
    assert "🖼 broken.png (click to open)" in text  # unreadable: the link alone
    assert preview_rows(render_markdown(source, WIDTH)) == []  # no files given: no preview


def test_too_large_images_get_no_preview(tmp_path, monkeypatch):
    from notebase.tui.widgets import note_body

    monkeypatch.setattr(note_body, "MAX_PREVIEW_PIXELS", 40 * 20 - 1)
    png(tmp_path / "large.png")
    source = f"[🖼 large.png (click to open)]({make_href('open', 'large.png')})\n"
    rendered = render_markdown(source, WIDTH, images={"large.png": tmp_path / "large.png"}.get)
    assert preview_rows(rendered) == []
    assert "".join(s.text for s in rendered.lines[0]).startswith("🖼 large.png (click to open)")


def test_the_session_opens_only_attachments_inside_the_vault(tmp_path):
    from notebase.tui.session import VaultSession

    vault = tmp_path / "vault"
    load(vault, {"노트.md": "![[plot.png]] ![[link.png]]\n"})
    png(vault / "plot.png")
    outside = png(tmp_path / "secret.png")
    (vault / "link.png").symlink_to(outside)
    session = VaultSession(vault, tmp_path / "experiments", use_cache=False)
    session.load()
    assert session.attachment_file("plot.png") == (vault / "plot.png").resolve()
    assert session.attachment_file("link.png") is None  # a symlink out of the vault
    assert session.attachment_file("../secret.png") is None
    assert session.attachment_file(str(outside)) is None
    assert session.attachment_file("노트.md") is None  # a note is no attachment


# --- 7. raw HTML -------------------------------------------------------------------------


def test_raw_html_is_shown_as_text():
    source = (
        '<span style="color:red">빨강</span> 글<br>다음 줄\n\n<div>\n블록 안\n</div>\n\n'
        "<!-- notebase:results experiment=x -->\n"
    )
    text = lines(source)
    assert '<span style="color:red">빨강</span> 글' in text
    assert "다음 줄" in text  # <br> is a line break
    assert "<div>" in text and "블록 안" in text and "</div>" in text
    assert "notebase:results" not in "\n".join(text)  # comments stay hidden


# --- 8. unreadable notes -----------------------------------------------------------------


def test_undecodable_and_broken_yaml_notes_show_error_and_text(tmp_path):
    vault = load(
        tmp_path,
        {
            "깨진 인코딩.md": "# 제목\n\n본문 ".encode() + b"\xff\xfe" + " 끝\n".encode(),
            "깨진 YAML.md": "---\ntitle: [닫히지 않음\n---\n# 본문 제목\n\n본문 **굵게**\n",
        },
    )
    text = shown(note_markdown(vault.get("깨진 인코딩.md")))
    assert "could not be read" in text and "not UTF-8" in text
    assert "본문 \ufffd\ufffd" in text and "끝" in text
    text = shown(note_markdown(vault.get("깨진 YAML.md")))
    assert "broken YAML" in text and "본문 제목" in text and "본문 굵게" in text


# --- speed -------------------------------------------------------------------------------


def test_pathological_lines_render_fast():
    for line in ("$a " * 30_000, "**를" * 30_000, "==a " * 30_000, "%%" * 30_000, "<b>" * 30_000):
        start = time.perf_counter()
        render_markdown(line + "\n", WIDTH)
        assert time.perf_counter() - start < 10, line[:10]


# --- through the app ---------------------------------------------------------------------


async def test_the_app_shows_a_note_as_obsidian_does_and_opens_images(tmp_path):
    vault = tmp_path / "vault"
    experiments = tmp_path / "experiments"
    experiments.mkdir()
    load(
        vault,
        {
            "메타.md": (
                "# 메타\n\n**메타 그라디언트(Meta-gradient)**를 계산 %%비밀%%.\n\n"
                "> [!tip]- 요령\n> 접힌 본문\n\n$\\nabla_\\theta$ 갱신\n\n![[근거#핵심]]\n\n"
                "![[plot.png]]\n"
            ),
            "근거.md": "# 근거\n\n## 핵심\n\n**이계 미분**이 필요하다.\n",
        },
    )
    png(vault / "plot.png")
    opened = []
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.main_screen
        screen.file_opener = opened.append
        await screen.open_note("메타.md", push=False)
        await settle(app, pilot)
        body = screen.query_one(NoteBody)
        assert await wait_for(pilot, lambda: "요령" in "".join(s.text for ln in body.lines for s in ln))
        text = ["".join(s.text for s in line).rstrip() for line in body.lines]
        joined = "\n".join(text)
        assert "메타 그라디언트(Meta-gradient)를 계산" in joined and "**" not in joined
        assert "비밀" not in joined and "접힌 본문" not in joined
        assert any(line.lstrip().startswith("▸") and "요령" in line for line in text)
        assert "\\nabla_\\theta 갱신" in joined
        assert "↪ 근거 › 핵심" in joined and "이계 미분이 필요하다." in joined
        # the image is drawn under its link
        y = next(i for i, line in enumerate(text) if "🖼 plot.png" in line)
        assert preview_rows(body)[:1] == [y + 2]
        # a click on the image's link opens the file with the system's viewer
        x = text[y].index("🖼")
        body.scroll_to_line(y)
        await pilot.pause()
        await pilot.click(NoteBody, offset=(x + 3, y - round(body.scroll_y)))
        assert await wait_for(pilot, lambda: bool(opened))
        assert opened == [(vault / "plot.png").resolve()]
        # an open: link to a file outside the vault or not an attachment opens nothing
        await screen.follow(make_href("open", "../secret.png"))
        await screen.follow(make_href("open", "메타.md"))
        assert len(opened) == 1


async def test_an_edited_embedded_note_redraws_the_note_that_embeds_it(tmp_path):
    vault = tmp_path / "vault"
    experiments = tmp_path / "experiments"
    experiments.mkdir()
    load(vault, {"겉.md": "# 겉\n\n![[속#절]]\n", "속.md": "# 속\n\n## 절\n\n처음 문장\n"})
    app = make_app(vault, experiments, watch=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.main_screen.open_note("겉.md", push=False)
        await settle(app, pilot)
        body = app.main_screen.query_one(NoteBody)

        def shown_text() -> str:
            return "\n".join("".join(s.text for s in line) for line in body.lines)

        assert await wait_for(pilot, lambda: "처음 문장" in shown_text())
        (vault / "속.md").write_text("# 속\n\n## 절\n\n바뀐 문장\n", encoding="utf-8")
        app.apply_changes([str(vault / "속.md")])
        assert await wait_for(pilot, lambda: "바뀐 문장" in shown_text())
        assert app.main_screen.current_path == "겉.md"


def test_embeds_that_multiply_are_cut_at_a_budget(tmp_path):
    """Ten embeds of a note that embeds ten of a note that embeds ten ...: the text brought
    in stays bounded, and the render stays fast."""
    from notebase.tui.render import MAX_EMBEDDED_CHARS

    filler = "가나다라마바사 " * 2000  # 16 kB
    files = {f"n{level}.md": f"{filler}\n\n" + f"![[n{level + 1}]]\n\n" * 10 for level in range(4)}
    files["n4.md"] = filler
    vault = load(tmp_path, files)
    start = time.perf_counter()
    source = note_markdown(vault.get("n0.md"), embed=vault.notes.get)
    assert len(source) < 2 * MAX_EMBEDDED_CHARS + 100_000
    assert "too much embedded text" in source
    assert time.perf_counter() - start < 5


def test_an_image_preview_is_decoded_once_for_widths_beyond_its_own(tmp_path, monkeypatch):
    """A preview is never wider than PREVIEW_WIDTH: resizing the terminal above that width
    reuses it rather than decoding the image again on the UI thread."""
    from PIL import Image

    from notebase.tui.widgets import note_body

    png(tmp_path / "wide.png", size=(200, 40))
    opened: list[object] = []
    real_open = Image.open

    def counting_open(*args, **kwargs):
        opened.append(args[0])
        return real_open(*args, **kwargs)

    monkeypatch.setattr(Image, "open", counting_open)
    source = f"[🖼 wide.png (click to open)]({make_href('open', 'wide.png')})\n"
    files = {"wide.png": tmp_path / "wide.png"}.get
    widths = (note_body.PREVIEW_WIDTH + 20, note_body.PREVIEW_WIDTH + 40)
    shown = [preview_rows(render_markdown(source, width, images=files)) for width in widths]
    assert shown[0] and shown[0] == shown[1]
    assert len(opened) == 1
