"""Settings: clear one-line errors, and the token never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from tests.support import run_bot_command

PROJECT = Path(__file__).resolve().parent.parent


def test_admin_ids_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_IDS", " 11, 22 ,33")
    assert load_settings(_env_file=None).admin_ids == frozenset({11, 22, 33})


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ADMIN_IDS", "12,abc", "ADMIN_IDS"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("DEFAULT_LANGUAGE", "sv!", "DEFAULT_LANGUAGE"),
        ("CONCURRENT_UPDATES", "0", "CONCURRENT_UPDATES"),
    ],
)
def test_malformed_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    assert expected in str(error.value) and "\n" not in str(error.value)


def test_malformed_token_is_named_but_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "not-a-token-SECRETPART")
    with pytest.raises(ConfigError) as error:
        load_settings(_env_file=None)
    assert "BOT_TOKEN" in str(error.value) and "SECRETPART" not in str(error.value)


def test_secrets_have_masked_reprs(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, bot_token="123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ", pseudonym_key="k" * 32)
    assert "ABCDEFGHIJ" not in repr(settings) and "kkkk" not in repr(settings)


def test_running_without_a_token_stops_with_one_clear_line(tmp_path: Path) -> None:
    result = run_bot_command(tmp_path, DATABASE_PATH=str(tmp_path / "db.sqlite3"))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "BOT_TOKEN" in lines[0]


def test_malformed_setting_stops_the_process_with_one_line(tmp_path: Path) -> None:
    result = run_bot_command(tmp_path, BOT_TOKEN="123:abc", ADMIN_IDS="one,two")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "ADMIN_IDS" in lines[0]


def test_invalid_survey_file_stops_with_a_clear_error(tmp_path: Path) -> None:
    survey = tmp_path / "survey.toml"
    survey.write_text(
        'id = "x"\nversion = "1"\nconsent_version = "1"\n[[questions]]\nid = "q"\nkind = "single"\n'
    )
    settings = {
        "BOT_TOKEN": "123:abc",
        "SURVEY_FILE": str(survey),
        "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
    }
    result = run_bot_command(tmp_path, "migrate", **settings)
    # migrate does not need the survey; export does, and must name the problem.
    assert result.returncode == 0, result.stderr
    result = run_bot_command(tmp_path, "export", **settings)
    assert result.returncode == 2
    assert "questions.0" in result.stderr and "at least two options" in result.stderr


def test_an_empty_privacy_contact_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIVACY_CONTACT", "  ")
    with pytest.raises(ConfigError, match="PRIVACY_CONTACT"):
        load_settings(_env_file=None)


def test_defaults_follow_the_working_directory_and_the_installed_catalogues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DATABASE_PATH", "LOCALES_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    settings = load_settings(_env_file=None)
    assert settings.database_path == tmp_path / "data" / "feedback.sqlite3"
    assert (settings.locales_dir / "sv.po").is_file()
    assert {"admin", "report", "themes"} <= {path.name for path in settings.locales_dir.iterdir()}
