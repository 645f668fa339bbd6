"""Settings: development defaults, strict production."""

from __future__ import annotations

import dataclasses
import re

import pytest

from gateway.config import PROJECT_ROOT, ConfigError, Settings, load_settings
from gateway.crypto import generate_key


def test_development_defaults_need_nothing(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RELAIS_HOME", str(tmp_path))
    settings = load_settings(environ={})
    assert settings.RELAIS_ENV == "development"
    assert settings.DATABASE_URL.startswith("sqlite:///") and settings.PORT == 8000
    assert settings.DATA_KEYS and settings.SECRET_KEY
    # generated once, outside the repository, then reused
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0
    assert load_settings(environ={}).DATA_KEYS == settings.DATA_KEYS


def test_environment_values_are_typed() -> None:
    settings = load_settings(
        environ={
            "PORT": "9000",
            "SEND_TIMEOUT": "2.5",
            "DATA_KEYS": generate_key(),
            "SECRET_KEY": "x",
        }
    )
    assert settings.PORT == 9000 and settings.SEND_TIMEOUT == 2.5


def test_bad_number_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="PORT must be a whole number"):
        load_settings(environ={"PORT": "eighty"})


def test_the_numbers_printed_for_reporters_are_checked() -> None:
    good = load_settings(environ={"REPORT_SMS_NUMBER": "36123", "REPORT_USSD_CODE": "*384*123#"})
    assert (good.REPORT_SMS_NUMBER, good.REPORT_USSD_CODE) == ("36123", "*384*123#")
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"REPORT_SMS_NUMBER": "Relais", "REPORT_USSD_CODE": "384123"})
    assert "REPORT_SMS_NUMBER must be" in str(info.value)
    assert "REPORT_USSD_CODE must look like *384*123#" in str(info.value)


def test_production_names_every_missing_setting() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"RELAIS_ENV": "production", "SMS_PROVIDER": "twilio"})
    message = str(info.value)
    for name in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DATA_KEYS", "TWILIO_AUTH_TOKEN"):
        assert name in message


def test_production_starts_when_complete() -> None:
    settings = load_settings(
        environ={
            "RELAIS_ENV": "production",
            "DATABASE_URL": "postgresql://relais@db/relais",
            "REDIS_URL": "redis://cache:6379/0",
            "SECRET_KEY": "s" * 40,
            "DATA_KEYS": generate_key(),
            "PUBLIC_BASE_URL": "https://relais.example.org",
            "SMS_PROVIDER": "africastalking",
            "AT_USERNAME": "relais",
            "AT_API_KEY": "key",
            "AT_WEBHOOK_TOKEN": "t" * 32,
        }
    )
    assert settings.is_production


def test_production_refuses_a_stuck_delay_shorter_than_a_send() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"RELAIS_ENV": "production", "SEND_STUCK_AFTER": "30"})
    assert "SEND_STUCK_AFTER must be more than 60 s" in str(info.value)


def test_production_refuses_a_short_secret_key() -> None:
    """It signs the console's session cookies."""
    with pytest.raises(ConfigError, match="SECRET_KEY must be at least 32 characters"):
        load_settings(environ={"RELAIS_ENV": "production", "SECRET_KEY": "x" * 31})
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"RELAIS_ENV": "production", "SECRET_KEY": "x" * 32})
    assert "SECRET_KEY" not in str(info.value)  # the other settings are missing


def test_production_refuses_plain_http_and_sandbox() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(environ={"RELAIS_ENV": "production", "PUBLIC_BASE_URL": "http://x"})
    assert "https://" in str(info.value) and "sandbox" in str(info.value)


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"SMS_PROVIDER": "pigeon"}, "SMS_PROVIDER must be one of"),
        ({"SMS_PROVIDER": "twilio", "SMS_FALLBACK_PROVIDER": "twilio"}, "must differ"),
        ({"DATA_KEYS": "not-a-key"}, "DATA_KEYS: key 1 is not a Fernet key"),
        ({"RELAIS_ENV": "staging"}, "RELAIS_ENV must be one of"),
        # Each of these started, then broke the first retry (and every sweep
        # after it), every log line, or the daily purge.
        ({"SEND_RETRY_DELAYS": "30s,2m,10m"}, "SEND_RETRY_DELAYS must be seconds"),
        ({"SEND_RETRY_DELAYS": " , "}, "SEND_RETRY_DELAYS must be seconds"),
        ({"SEND_RETRY_DELAYS": "30,-5"}, "SEND_RETRY_DELAYS must be seconds"),
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL must be"),
        ({"RETENTION_DAYS": "0"}, "RETENTION_DAYS must be at least 1"),
        ({"DATABASE_URL": "postgresq://x/y"}, "DATABASE_URL must start with postgresql://"),
        ({"DATABASE_URL": "postgresql+psycopg2://x/y"}, "got postgresql\\+psycopg2://"),
    ],
)
def test_wrong_values_are_named(env: dict[str, str], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings(environ={"SECRET_KEY": "x", "DATA_KEYS": generate_key(), **env})


def test_dev_secrets_include_a_stable_console_password(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from gateway.devsecrets import dev_secrets

    monkeypatch.setenv("RELAIS_HOME", str(tmp_path))
    first = dev_secrets()
    assert len(first["DEV_CONSOLE_PASSWORD"]) >= 12
    assert dev_secrets() == first
    # an older secrets file without the password gains one, keeping its keys
    (tmp_path / "dev-secrets.json").write_text('{"SECRET_KEY": "s", "DATA_KEYS": "k"}')
    upgraded = dev_secrets()
    assert upgraded["SECRET_KEY"] == "s" and upgraded["DATA_KEYS"] == "k"
    assert upgraded["DEV_CONSOLE_PASSWORD"]


def test_the_cli_names_a_bad_setting_without_a_traceback() -> None:
    from click.testing import CliRunner

    from gateway.cli import main

    result = CliRunner().invoke(main, ["status"], env={"WORKER_PROCESSES": "abc"})
    assert result.exit_code == 2
    assert "WORKER_PROCESSES must be a whole number, got 'abc'" in result.output
    assert "Traceback" not in result.output


def test_keys_generate_needs_no_configuration() -> None:
    """It makes the DATA_KEYS that production refuses to start without."""
    from click.testing import CliRunner

    from gateway.cli import main
    from gateway.crypto import parse_keys

    result = CliRunner().invoke(main, ["keys", "generate"], env={"RELAIS_ENV": "production"})
    assert result.exit_code == 0, result.output
    parse_keys(result.output.strip())


def test_every_setting_is_documented_in_the_readme_and_env_example() -> None:
    """An operator finds each setting in the README's table and in .env.example."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    names = [f.name for f in dataclasses.fields(Settings) if f.name != "extra"]
    assert [n for n in names if f"`{n}`" not in readme] == []
    assert [n for n in names if not re.search(rf"^#? ?{n}=", example, re.MULTILINE)] == []
