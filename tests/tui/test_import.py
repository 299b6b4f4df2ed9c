"""The app starts without torch: experiments run in a subprocess."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from .conftest import write_vault


def test_app_start_imports_no_torch(tmp_path):
    """Build and run the app headless until the vault is listed: torch stays out."""
    vault, experiments = write_vault(tmp_path)
    code = textwrap.dedent(
        f"""
        import asyncio, sys
        from notebase.tui.app import make_app
        app = make_app({str(vault)!r}, {str(experiments)!r}, watch=False)
        assert "torch" not in sys.modules, "import"
        async def main():
            async with app.run_test(size=(120, 40)) as pilot:
                for _ in range(3):  # load, then the index worker it starts
                    pending = [w for w in app.workers if not w.is_finished]
                    if pending:
                        await app.workers.wait_for_complete(pending)
                    await pilot.pause()
                assert app.main_screen.current_path, "no note open"
        asyncio.run(main())
        print(sorted({{m.split(".")[0] for m in sys.modules}}))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = set(eval(result.stdout.strip().splitlines()[-1]))
    assert "torch" not in loaded
    assert "whoosh" in loaded  # the index was opened, so the check is not vacuous
