"""`notebase app` / bare `notebase`: a missing vault is a one-line user error (exit 2)."""

from __future__ import annotations

from notebase.cli import main


def test_app_on_a_missing_vault_is_a_user_error(tmp_path, capsys):
    missing = tmp_path / "없는 볼트"
    assert main(["--vault", str(missing), "app"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "없는 볼트" in err and "Traceback" not in err
    # No command opens the app, with the same check.
    assert main(["--vault", str(missing)]) == 2
