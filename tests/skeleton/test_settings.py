"""Settings: values from the environment, a readable error for a bad one, secrets from files."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitespeak.errors import SettingsError
from sitespeak.settings import Settings, load_settings, settings_table
from tests.support.processes import run_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(__import__("os").environ):
        if name.startswith("SITESPEAK_") or name in ("DATABASE_URL", "REDIS_URL", "PROCESS_TYPE"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SITESPEAK_ENV_FILE", "")
    return monkeypatch


def test_every_setting_has_a_default_and_a_description() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no description"
        assert not field.is_required(), f"{name} has no default"


def test_conventional_names_and_prefixed_names_are_read(clean_env) -> None:
    clean_env.setenv("DATABASE_URL", "postgresql://u@h:1/d")
    clean_env.setenv("REDIS_URL", "redis://h:2/0")
    clean_env.setenv("PROCESS_TYPE", "worker")
    clean_env.setenv("SITESPEAK_PORT", "8123")
    clean_env.setenv("SITESPEAK_WORKER_QUEUES", "ai, crawler")
    s = load_settings()
    assert (s.database_url, s.redis_url, s.process_type, s.port) == (
        "postgresql://u@h:1/d",
        "redis://h:2/0",
        "worker",
        8123,
    )
    assert s.queues == ["ai", "crawler"]


def test_an_invalid_value_names_the_variable_and_the_problem(clean_env) -> None:
    clean_env.setenv("SITESPEAK_PORT", "eighty")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert err.value.message.startswith("SITESPEAK_PORT:")
    assert "eighty" in err.value.message


def test_an_unknown_queue_is_refused_with_the_valid_names(clean_env) -> None:
    clean_env.setenv("SITESPEAK_WORKER_QUEUES", "ai,emails")
    with pytest.raises(SettingsError, match="SITESPEAK_WORKER_QUEUES: .*emails.*critical"):
        load_settings()


def test_a_bad_setting_stops_start_up_with_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "SITESPEAK_ENV_FILE": "",
        "PROCESS_TYPE": "web",
        "DATABASE_URL": "mysql://nope",
    }
    done = run_command(env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sitespeak: invalid setting: DATABASE_URL:")


def test_a_secret_can_come_from_a_file(clean_env, tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("s3cret-value\n")
    clean_env.setenv("SITESPEAK_OPENAI_API_KEY_FILE", str(secret))
    assert load_settings().openai_api_key.get_secret_value() == "s3cret-value"


def test_an_unreadable_secret_file_is_a_clear_error(clean_env, tmp_path: Path) -> None:
    clean_env.setenv("SITESPEAK_OPENAI_API_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(SettingsError, match="SITESPEAK_OPENAI_API_KEY_FILE: cannot read"):
        load_settings()


def test_an_env_file_supplies_values_the_environment_does_not(clean_env, tmp_path: Path) -> None:
    env_file = tmp_path / "sitespeak.env"
    env_file.write_text("SITESPEAK_PORT=6001\nREDIS_URL=redis://from-file:6379/0\n")
    clean_env.setenv("SITESPEAK_ENV_FILE", str(env_file))
    clean_env.setenv("SITESPEAK_PORT", "6002")
    s = load_settings()
    assert s.port == 6002  # the environment wins over the file
    assert s.redis_url == "redis://from-file:6379/0"


def test_a_missing_env_file_is_named(clean_env, tmp_path: Path) -> None:
    clean_env.setenv("SITESPEAK_ENV_FILE", str(tmp_path / "nope.env"))
    with pytest.raises(SettingsError, match="SITESPEAK_ENV_FILE: no such file"):
        load_settings()


def test_the_readme_configuration_table_matches_the_settings() -> None:
    readme = (ROOT / "README.md").read_text()
    assert settings_table() in readme, (
        "README.md's configuration table is stale: paste `python -m sitespeak config --markdown`"
    )
