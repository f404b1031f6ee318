"""A production start without a real secret key ends in one clear line."""

from typer.testing import CliRunner

from rollcall.cli import app


def test_serve_without_a_secret_in_production_prints_one_clear_line(
    database_url: str,
) -> None:
    env = {
        "ROLLCALL_DATABASE_URL": database_url,
        "ROLLCALL_ENVIRONMENT": "production",
        "ROLLCALL_SECRET_KEY": "",
    }

    result = CliRunner().invoke(app, ["serve", "--port", "1"], env=env)

    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("rollcall: ROLLCALL_SECRET_KEY must be set")
    assert "unexpected" not in line
    assert "ValueError" not in line
