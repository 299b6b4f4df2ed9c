"""Writing notes from the app: n (new), e ($EDITOR), E (in-app editor, [[ completion),
F2 (rename), D (to .trash/).

Real files in a tmp vault and the real app under Pilot. The file watcher is off
(``watch=False``): what the screen shows after a write comes from the app's own re-read,
not from the watcher.
"""

from __future__ import annotations

import contextlib
import stat
import textwrap

import pytest
from textual.command import CommandList, CommandPalette
from textual.widgets import Input, Static

from notebase.tui.app import make_app
from notebase.tui.screens.editor import EditorScreen, LinkCompletion, NoteTextArea
from notebase.tui.screens.modals import ConfirmScreen
from notebase.tui.screens.note_dialogs import NewNoteScreen, RenamePreviewScreen, RenameScreen
from notebase.tui.screens.switcher import SwitcherScreen
from notebase.tui.widgets.note_body import NoteBody
from notebase.tui.widgets.note_list import NoteList

from .conftest import SIZE, settle, wait_for

COST = "메타러닝의 비용.md"
MAML = "알고리즘/MAML.md"
DIARY = "일기.md"


def listed(app) -> list[str]:
    return [row.path for row in app.main_screen.query_one(NoteList).all_rows]


def notified(app, severity: str | None = None) -> list[str]:
    return [m for s, m in app.notification_log if severity is None or s == severity]


async def opened(app, pilot, path: str) -> None:
    await app.main_screen.open_note(path)
    assert await wait_for(pilot, lambda: app.main_screen.current_note is not None)
    assert app.main_screen.current_note.path == path


@contextlib.asynccontextmanager
async def note_open(vault, experiments, path: str):
    """The app on the vault (no cache), loaded, with note ``path`` open: ``(app, pilot)``."""
    app = make_app(vault, experiments, watch=False, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await opened(app, pilot, path)
        yield app, pilot


def body_source(app) -> str:
    return app.main_screen.query_one(NoteBody).source


async def type_text(pilot, text: str) -> None:
    await pilot.press(*["enter" if ch == "\n" else ch for ch in text])


# --------------------------------------------------------------------------- n: new note


async def test_new_note_with_a_korean_title_is_written_opened_and_listed(vault_dirs):
    vault, experiments = vault_dirs
    async with note_open(vault, experiments, COST) as (app, pilot):
        app.main_screen.show_tag("ml/meta")  # the tag the list shows
        await settle(app, pilot)

        await pilot.press("n")
        assert await wait_for(pilot, lambda: isinstance(app.screen, NewNoteScreen))
        dialog = app.screen
        assert dialog.query_one("#new-tags", Input).value == "ml/meta"
        assert dialog.query_one("#new-folder", Input).value == ""  # COST's folder: the root
        target = dialog.query_one("#new-target", Static)

        # A title whose file exists is refused, and Enter does not close the dialog.
        await type_text(pilot, "일기")
        assert "일기.md already exists" in str(target.render())
        await pilot.press("enter")
        assert isinstance(app.screen, NewNoteScreen)
        assert dialog.target is None

        await pilot.press("backspace", "backspace")
        await type_text(pilot, "새 메모: 초안")
        assert str(target.render()) == "→ 새 메모 초안.md"
        await pilot.press("enter")

        path = "새 메모 초안.md"
        assert await wait_for(
            pilot,
            lambda: (
                app.main_screen.current_note is not None
                and app.main_screen.current_note.path == path
            ),
        )
        text = (vault / path).read_text("utf-8")
        assert text.startswith("---\ntitle: '새 메모: 초안'\n") or text.startswith(
            '---\ntitle: "새 메모: 초안"\n'
        )
        assert "tags: [ml/meta]" in text and "created: " in text
        assert path in listed(app)
        assert app.main_screen.current_note.title == "새 메모: 초안"
        assert not notified(app, "error")


async def test_new_note_goes_to_the_open_notes_folder_and_escape_cancels(vault_dirs):
    vault, experiments = vault_dirs
    async with note_open(vault, experiments, MAML) as (app, pilot):
        await pilot.press("n")
        assert await wait_for(pilot, lambda: isinstance(app.screen, NewNoteScreen))
        assert app.screen.query_one("#new-folder", Input).value == "알고리즘"
        await type_text(pilot, "Reptile")
        assert str(app.screen.query_one("#new-target", Static).render()) == "→ 알고리즘/Reptile.md"
        await pilot.press("escape")
        assert app.screen is app.main_screen
        await settle(app, pilot)
        assert not (vault / "알고리즘" / "Reptile.md").exists()

        await pilot.press("n")
        assert await wait_for(pilot, lambda: isinstance(app.screen, NewNoteScreen))
        await type_text(pilot, "Reptile\n")
        assert await wait_for(pilot, lambda: (vault / "알고리즘" / "Reptile.md").exists())
        assert await wait_for(pilot, lambda: app.main_screen.current_path == "알고리즘/Reptile.md")


def test_the_new_note_dialogs_target_knows_an_nfd_folder(vault_dirs):
    """The dialog's check is the core's `note_create.note_target`: a folder synced from
    macOS (NFD on disk) is the folder typed in NFC, so a note there is taken."""
    import unicodedata

    from notebase.core.note_ops import NoteOpError
    from notebase.tui.session import VaultSession

    vault, experiments = vault_dirs
    folder = vault / unicodedata.normalize("NFD", "회의록")
    folder.mkdir()
    (folder / unicodedata.normalize("NFD", "주간 메모.md")).write_text("# 주간 메모\n")
    session = VaultSession(vault, experiments, use_cache=False)
    with pytest.raises(NoteOpError, match="^회의록/주간 메모.md already exists$"):
        session.new_note_target("주간 메모", "회의록")
    assert session.new_note_target("새 메모", "회의록") == "회의록/새 메모.md"


async def test_switcher_create_row_opens_the_new_note_dialog(vault_dirs):
    vault, experiments = vault_dirs
    async with note_open(vault, experiments, DIARY) as (app, pilot):  # a note at the top folder: the new one goes there
        await pilot.press("ctrl+o")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SwitcherScreen))
        assert await wait_for(pilot, lambda: app.screen.matcher is not None)
        await type_text(pilot, "없는 노트")
        assert await wait_for(pilot, lambda: app.screen.shown_query == "없는 노트")
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: isinstance(app.screen, NewNoteScreen))
        assert app.screen.query_one("#new-title", Input).value == "없는 노트"
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: app.main_screen.current_path == "없는 노트.md")
        assert (vault / "없는 노트.md").is_file()


# --------------------------------------------------------------------------- e: $EDITOR


@pytest.fixture
def fake_editor(tmp_path, monkeypatch):
    """An ``$EDITOR`` that appends a line to the file it is given."""
    script = tmp_path / "fake editor.sh"
    script.write_text('#!/bin/sh\nprintf "편집기가 덧붙인 줄\\n" >> "$1"\n', "utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"'{script}'")  # quoted: the path has a space
    return script


async def test_external_editor_round_trip(vault_dirs, fake_editor):
    """``e`` runs $EDITOR on the note's real file and shows the new text at once. Under
    Pilot the app cannot hand the terminal over (``App.suspend`` raises
    ``SuspendNotSupported`` headless), so this runs the same command without suspending."""
    vault, experiments = vault_dirs
    async with note_open(vault, experiments, DIARY) as (app, pilot):
        before = (vault / DIARY).read_bytes()
        await pilot.press("e")
        assert (vault / DIARY).read_bytes() == before + "편집기가 덧붙인 줄\n".encode()
        assert await wait_for(pilot, lambda: "편집기가 덧붙인 줄" in body_source(app))
        assert not notified(app, "error")


def test_external_editor_in_a_real_terminal(tmp_path):
    """The path Pilot cannot take: the app in a pseudo-terminal, ``e`` suspends it and hands
    the terminal to the editor (which checks that its stdin is a terminal), and once the
    editor exits the app draws the note's new line."""
    pty = pytest.importorskip("pty")
    import fcntl
    import os
    import select
    import struct
    import sys
    import termios
    import time

    vault = tmp_path / "vault"
    vault.mkdir()
    note = vault / "하나.md"
    note.write_text("---\ntitle: 하나\n---\n# 하나\n\n본문\n", "utf-8")
    editor = tmp_path / "editor.sh"
    editor.write_text(
        '#!/bin/sh\nif [ -t 0 ]; then echo "terminal editor line" >> "$1"; '
        'else echo "no terminal" >> "$1"; fi\n',
        "utf-8",
    )
    editor.chmod(0o755)
    env = {**os.environ, "EDITOR": str(editor), "TERM": "xterm-256color"}
    env.pop("VISUAL", None)
    command = [sys.executable, "-m", "notebase", "--vault", str(vault)]
    command += ["--experiments", str(tmp_path / "experiments"), "app"]

    pid, fd = pty.fork()
    if pid == 0:  # the child: the app, on the pseudo-terminal
        os.execve(sys.executable, command, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    seen = bytearray()

    def read_until(condition, seconds: float = 60.0) -> bool:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.1)[0]:
                try:
                    seen.extend(os.read(fd, 65536))
                except OSError:
                    break
        return condition()

    try:
        assert read_until(lambda: b"1 notes" in seen and "본문".encode() in seen)
        shown_before = len(seen)
        os.write(fd, b"e")
        assert read_until(lambda: "terminal editor line" in note.read_text("utf-8"))
        assert read_until(lambda: b"terminal editor line" in seen[shown_before:])
        os.write(fd, b"q")
        read_until(lambda: os.waitpid(pid, os.WNOHANG) != (0, 0), 30)
    finally:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)
    assert note.read_text("utf-8").endswith("본문\nterminal editor line\n")


async def test_missing_editor_is_a_notification(vault_dirs, monkeypatch):
    vault, experiments = vault_dirs
    monkeypatch.setenv("VISUAL", "/no/such/editor --wait")
    async with note_open(vault, experiments, DIARY) as (app, pilot):
        before = (vault / DIARY).read_bytes()
        await pilot.press("e")
        await settle(app, pilot)
        assert any("/no/such/editor" in m and "not found" in m for m in notified(app, "error"))
        assert (vault / DIARY).read_bytes() == before
        assert app.screen is app.main_screen


async def test_keys_that_change_notes_leave_a_results_sidecar_alone(vault_dirs, fake_editor):
    """A results sidecar is shown read-only: e, E, F2 and D say so and change nothing (the
    app stays up, nothing is edited, renamed or moved to the trash)."""
    from notebase.core.note_writer import write_sidecar
    from tests.results_block_helpers import korean_block

    vault, experiments = vault_dirs
    sidecar, _ = write_sidecar(vault / COST, korean_block(), "the block was edited by hand")
    sidecar_path = sidecar.relative_to(vault).as_posix()
    files = {p: p.read_bytes() for p in vault.rglob("*.md")}
    async with note_open(vault, experiments, sidecar_path) as (app, pilot):
        assert app.main_screen.current_note.sidecar_of is not None
        for key in ("e", "E", "f2", "D"):
            warnings = len(notified(app, "warning"))
            await pilot.press(key)
            assert await wait_for(pilot, lambda n=warnings: len(notified(app, "warning")) > n)
            assert notified(app, "warning")[-1] == (
                f"{sidecar_path} is a results sidecar (read only)"
            ), key
            await settle(app, pilot)
            assert app.is_running and app.screen is app.main_screen, key
        assert {p: p.read_bytes() for p in vault.rglob("*.md")} == files
        assert not (vault / ".trash").exists()
        assert not notified(app, "error")


# --------------------------------------------------------------------------- E: in-app editor


async def open_editor(app, pilot) -> NoteTextArea:
    await pilot.press("E")
    assert await wait_for(pilot, lambda: isinstance(app.screen, EditorScreen))
    area = app.screen.query_one(NoteTextArea)
    assert app.focused is area
    return area


async def test_in_app_edit_saves_the_typed_text(vault_dirs):
    vault, experiments = vault_dirs
    async with note_open(vault, experiments, DIARY) as (app, pilot):
        before = (vault / DIARY).read_bytes()
        area = await open_editor(app, pilot)
        assert area.text == before.decode()  # the whole text, frontmatter included
        assert area.language == "markdown" and area.is_syntax_aware  # tree-sitter highlighting
        area.move_cursor(area.document.end)
        await type_text(pilot, "비가 왔다.\n")
        await pilot.press("ctrl+s")
        expected = before + "비가 왔다.\n".encode()
        assert await wait_for(pilot, lambda: (vault / DIARY).read_bytes() == expected)
        assert isinstance(app.screen, EditorScreen)  # saving keeps the editor open
        assert await wait_for(pilot, lambda: not app.screen.modified)
        await pilot.press("escape")  # nothing unsaved: closes at once
        assert app.screen is app.main_screen
        assert await wait_for(pilot, lambda: "비가 왔다." in body_source(app))


async def test_in_app_edit_keeps_crlf_and_bom(vault_dirs):
    vault, experiments = vault_dirs
    original = "\ufeff---\r\ntitle: 윈도 노트\r\n---\r\n# 윈도 노트\r\n\r\n첫 줄\r\n".encode()
    (vault / "윈도.md").write_bytes(original)
    async with note_open(vault, experiments, "윈도.md") as (app, pilot):
        area = await open_editor(app, pilot)
        assert "\r" not in area.text and not area.text.startswith("\ufeff")

        # A save with no edits writes nothing.
        mtime = (vault / "윈도.md").stat().st_mtime_ns
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "no changes to save" in notified(app)
        assert (vault / "윈도.md").stat().st_mtime_ns == mtime

        area.move_cursor((5, len("첫 줄")))
        await type_text(pilot, " 고침\n둘째 줄")
        await pilot.press("ctrl+s")
        expected = original.replace("첫 줄\r\n".encode(), "첫 줄 고침\r\n둘째 줄\r\n".encode())
        assert await wait_for(pilot, lambda: (vault / "윈도.md").read_bytes() == expected)
        assert not notified(app, "error")


async def test_in_app_save_is_refused_after_a_change_on_disk(vault_dirs):
    vault, experiments = vault_dirs
    async with note_open(vault, experiments, DIARY) as (app, pilot):
        area = await open_editor(app, pilot)
        theirs = (vault / DIARY).read_bytes() + "다른 곳에서 쓴 줄\n".encode()
        (vault / DIARY).write_bytes(theirs)

        area.move_cursor(area.document.end)
        await type_text(pilot, "내 줄")
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: any("changed on disk" in m for m in notified(app)))
        assert (vault / DIARY).read_bytes() == theirs  # not clobbered
        assert isinstance(app.screen, EditorScreen)
        assert area.text.endswith("내 줄")  # the user's text is still there

        # Escape with unsaved text asks; "n" keeps editing, then "y" discards.
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")
        assert isinstance(app.screen, EditorScreen)
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        assert await wait_for(pilot, lambda: app.screen is app.main_screen)
        assert (vault / DIARY).read_bytes() == theirs


async def test_double_bracket_completes_titles_and_aliases(vault_dirs):
    vault, experiments = vault_dirs
    async with note_open(vault, experiments, DIARY) as (app, pilot):
        area = await open_editor(app, pilot)
        completion = app.screen.query_one(LinkCompletion)
        assert await wait_for(pilot, lambda: bool(completion.targets))
        area.move_cursor(area.document.end)

        await type_text(pilot, "참고: [[일차")
        assert completion.display
        shown = [
            str(completion.get_option_at_index(i).prompt) for i in range(completion.option_count)
        ]
        assert shown == ["일차 근사"]
        await pilot.press("enter")
        assert not completion.display
        assert area.text.endswith("참고: [[일차 근사]]")

        # An alias, chosen with the arrow keys among several matches.
        await type_text(pilot, " [[m")
        shown = [
            str(completion.get_option_at_index(i).prompt) for i in range(completion.option_count)
        ]
        assert shown[0] == "MAML" and "meta cost → 메타러닝의 계산 비용" in shown
        for _ in range(shown.index("meta cost → 메타러닝의 계산 비용")):
            await pilot.press("down")
        await pilot.press("tab")
        assert area.text.endswith("[[일차 근사]] [[meta cost]]")

        # The arrow keys passing through a finished link do not open the list.
        row = area.cursor_location[0]
        area.move_cursor((row, len("참고: [[일")))
        await pilot.press("right", "right")
        assert not completion.display
        area.move_cursor(area.document.end)

        # Escape closes the list only; the editor stays.
        await type_text(pilot, " [[M")
        assert completion.display
        await pilot.press("escape")
        assert not completion.display and isinstance(app.screen, EditorScreen)

        # Compared as the switcher does: a last syllable still half typed (메탈 on the way
        # to 메타러닝) already offers the note.
        await type_text(pilot, " [[메탈")
        assert completion.display
        shown = [
            str(completion.get_option_at_index(i).prompt) for i in range(completion.option_count)
        ]
        assert "메타러닝의 계산 비용" in shown


# --------------------------------------------------------------------------- F2: rename


LINKING = {
    "링크 모음.md": "---\r\ntitle: 링크 모음\r\n---\r\n일기는 [[일기]]와 [[일기|나의 일기]],\r\n"
    "그리고 [마크다운](일기.md)에 있다. `[[일기]]`는 코드.\r\n",
    "알고리즘/메모.md": "\ufeff# 메모\n\n![[일기#오늘]] 끝\n",
}


async def test_rename_rewrites_links_byte_exact_and_shows_the_note(vault_dirs):
    vault, experiments = vault_dirs
    for name, text in LINKING.items():
        (vault / name).write_bytes(text.encode())
    untouched = {
        p.relative_to(vault).as_posix(): p.read_bytes()
        for p in vault.rglob("*.md")
        if p.relative_to(vault).as_posix() not in (DIARY, *LINKING)
    }
    async with note_open(vault, experiments, MAML) as (app, pilot):
        await opened(app, pilot, DIARY)  # MAML is the note before it
        await pilot.press("f2")
        assert await wait_for(pilot, lambda: isinstance(app.screen, RenameScreen))
        name = app.screen.query_one("#rename-name", Input)
        assert name.value == "일기"
        await pilot.press("end")
        await type_text(pilot, "장\n")

        assert await wait_for(pilot, lambda: isinstance(app.screen, RenamePreviewScreen)), (
            app.notification_log
        )
        preview = str(app.screen.query_one("#rename-change-list", Static).render())
        assert "일기장.md  (moved)" in preview
        assert "링크 모음.md  (3 links)" in preview
        assert "알고리즘/메모.md  (1 link)" in preview
        await pilot.press("y")

        new = "일기장.md"
        assert await wait_for(
            pilot,
            lambda: (
                app.main_screen.current_note is not None
                and app.main_screen.current_note.path == new
            ),
        )
        assert not (vault / DIARY).exists()
        assert (vault / new).read_bytes() == textwrap.dedent(
            """\
            ---
            title: 오늘의 일기
            tags: [life]
            ---
            # 오늘의 일기

            산책을 했다.
            """
        ).encode()
        assert (vault / "링크 모음.md").read_bytes() == LINKING["링크 모음.md"].replace(
            "[[일기]]와 [[일기|", "[[일기장]]와 [[일기장|"
        ).replace("(일기.md)", "(일기장.md)").encode()
        assert (vault / "알고리즘/메모.md").read_bytes() == LINKING["알고리즘/메모.md"].replace(
            "[[일기#", "[[일기장#"
        ).encode()
        for path, data in untouched.items():
            assert (vault / path).read_bytes() == data, path

        assert new in listed(app) and DIARY not in listed(app)
        assert DIARY not in app.main_screen.history
        assert app.main_screen.history[-1] == MAML
        assert not notified(app, "error")
        # The links in the other note lead to the renamed note.
        await opened(app, pilot, "링크 모음.md")
        assert "일기장" in str(app.main_screen.current_note.links)


async def test_rename_leaves_a_note_changed_since_the_preview_alone(vault_dirs):
    """A note edited on disk while the preview was up is not rewritten (its edit would be
    lost): the rename happens, the app names the note it left, and shows the renamed one."""
    vault, experiments = vault_dirs
    for name, text in LINKING.items():
        (vault / name).write_bytes(text.encode())
    async with note_open(vault, experiments, DIARY) as (app, pilot):
        await pilot.press("f2")
        assert await wait_for(pilot, lambda: isinstance(app.screen, RenameScreen))
        await pilot.press("end")
        await type_text(pilot, "장\n")
        assert await wait_for(pilot, lambda: isinstance(app.screen, RenamePreviewScreen))
        theirs = (LINKING["링크 모음.md"] + "다른 편집기에서 쓴 줄\r\n").encode()
        (vault / "링크 모음.md").write_bytes(theirs)
        await pilot.press("y")

        assert await wait_for(pilot, lambda: app.main_screen.current_path == "일기장.md")
        assert await wait_for(pilot, lambda: bool(notified(app, "error")))
        assert "링크 모음.md" in notified(app, "error")[-1]
        assert (vault / "링크 모음.md").read_bytes() == theirs
        assert (vault / "알고리즘/메모.md").read_bytes() == LINKING["알고리즘/메모.md"].replace(
            "[[일기#", "[[일기장#"
        ).encode()
        assert "일기장.md" in listed(app) and DIARY not in listed(app)


async def test_rename_cancelled_in_the_preview_changes_nothing(vault_dirs):
    vault, experiments = vault_dirs
    before = {p: p.read_bytes() for p in vault.rglob("*.md")}
    async with note_open(vault, experiments, MAML) as (app, pilot):
        # Enter alone (a second Enter after the name's) answers no, as in every yes/no
        # dialog of the app (ConfirmScreen: the focused button is the safe one); so does
        # Escape.
        for key in ("enter", "escape"):
            await pilot.press("f2")
            assert await wait_for(pilot, lambda: isinstance(app.screen, RenameScreen))
            await pilot.press("end")
            await type_text(pilot, " 정리\n")
            assert await wait_for(pilot, lambda: isinstance(app.screen, RenamePreviewScreen))
            await pilot.press(key)
            assert await wait_for(pilot, lambda: app.screen is app.main_screen), key
            await settle(app, pilot)
            assert {p: p.read_bytes() for p in vault.rglob("*.md")} == before, key
            assert app.main_screen.current_path == MAML, key

        # A name that is taken: the core refuses, the app says so.
        await pilot.press("f2")
        assert await wait_for(pilot, lambda: isinstance(app.screen, RenameScreen))
        app.screen.query_one("#rename-name", Input).value = "일차 근사"
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: bool(notified(app, "error")))
        assert "일차 근사" in notified(app, "error")[-1]
        assert {p: p.read_bytes() for p in vault.rglob("*.md")} == before


# --------------------------------------------------------------------------- D: delete


async def test_delete_asks_then_moves_the_note_to_trash(vault_dirs):
    vault, experiments = vault_dirs
    data = (vault / DIARY).read_bytes()
    async with note_open(vault, experiments, MAML) as (app, pilot):
        await opened(app, pilot, DIARY)

        await pilot.press("D")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.query_one("#confirm-question", Static).render())
        assert "오늘의 일기" in question and ".trash/" in question
        await pilot.press("n")  # cancel: nothing moves
        await settle(app, pilot)
        assert (vault / DIARY).read_bytes() == data
        assert app.main_screen.current_path == DIARY

        await pilot.press("D")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        assert await wait_for(pilot, lambda: app.main_screen.current_path == MAML)
        assert not (vault / DIARY).exists()
        assert (vault / ".trash" / DIARY).read_bytes() == data
        assert DIARY not in listed(app)
        assert await wait_for(pilot, lambda: app.main_screen.current_note is not None)
        assert app.main_screen.current_note.path == MAML
        assert not notified(app, "error")


async def test_palette_runs_the_write_actions(vault_dirs):
    """ctrl+p "Rename note" / "Delete note" open the same dialogs as F2 and D."""
    vault, experiments = vault_dirs
    async with note_open(vault, experiments, DIARY) as (app, pilot):
        for title, screen in (("Rename note", RenameScreen), ("Delete note", ConfirmScreen)):
            await pilot.press("ctrl+p")
            assert await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
            await type_text(pilot, title.lower())
            palette = app.screen
            assert await wait_for(
                pilot,
                lambda t=title, p=palette: any(
                    str(o.prompt).startswith(t) for o in p.query_one(CommandList).options
                ),
            )
            await pilot.press("enter")
            assert await wait_for(pilot, lambda s=screen: isinstance(app.screen, s))
            await pilot.press("escape")
            assert await wait_for(pilot, lambda: app.screen is app.main_screen)
        assert (vault / DIARY).is_file()
