"""Bad configuration: one clear line naming file, key and expectation; non-zero exit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
MINIMAL = """
[[brands]]
name = "Tienda Sol"
[brands.keywords]
terms = ["tienda sol"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, env=env or {}, catch_exceptions=False)
    return result.exit_code, result.output


def test_documented_example_config_is_valid() -> None:
    config = load_config(REPO / "config.toml")
    assert config.brands[0].name == "Tienda Sol"
    assert config.brands[0].escalation.sla_minutes == 120
    assert config.database.url == "sqlite:///vigia.db"


def test_missing_file(tmp_path: Path) -> None:
    code, out = _run(["check", "--config", str(tmp_path / "nope.toml")])
    assert code != 0
    assert "nope.toml: config file not found" in out
    assert "Traceback" not in out


def test_toml_syntax_error_shows_line(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + '\n[sources.twitter]\nenabled = tru\n')
    code, out = _run(["check", "--config", str(path)])
    assert code != 0
    assert "TOML syntax error" in out and "line 8" in out
    assert "Traceback" not in out


def test_unknown_key_named_with_path(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + '\n[sources.twitter]\nenabeld = true\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: sources.twitter.enabeld: unknown key " \
        "(check the spelling; see the documented config.toml)"


def test_wrong_type_names_brand_key_and_expectation(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + "[brands.escalation]\ngrace_minutes = \"ten\"\n")
    code, out = _run(["check", "--config", str(path)])
    assert code != 0
    assert "brands[0] (name='Tienda Sol').escalation.grace_minutes" in out
    assert "expected a valid integer" in out and "'ten'" in out
    assert "Traceback" not in out


def test_bad_timezone_and_secret_in_env_field(tmp_path: Path) -> None:
    text = MINIMAL.replace('name = "Tienda Sol"', 'name = "Tienda Sol"\ntimezone = "Madrid"')
    text += '\n[sources.twitter]\nbearer_token_env = "AAAAAAAAAAAAAAAAAAAAAFakeSecret%2Fvalue"\n'
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, text))
    message = str(err.value)
    assert "timezone: expected an IANA time zone" in message
    assert "sources.twitter.bearer_token_env: expected an environment variable NAME" in message


def test_missing_env_var_for_enabled_source(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + '\n[sources.twitter]\nenabled = true\n')
    code, out = _run(["run", "--once", "--config", str(path)], env={"X_BEARER_TOKEN": ""})
    assert code != 0
    assert "sources.twitter.bearer_token_env: environment variable X_BEARER_TOKEN is not set" in out
    assert "Traceback" not in out


def test_reddit_user_agent_form_is_enforced(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + '\n[sources.reddit]\nuser_agent = "my bot"\n')
    with pytest.raises(ConfigError, match=r"sources\.reddit\.user_agent: expected Reddit's"):
        load_config(path)


def test_plain_http_api_base_warns(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _write(tmp_path, MINIMAL + '\n[sources.twitter]\napi_base = "http://proxy.example"\n')
    load_config(path)
    assert "neither https nor loopback" in caplog.text


def test_example_config_copy_round_trips(tmp_path: Path) -> None:
    copy = tmp_path / "config.toml"
    shutil.copy(REPO / "config.toml", copy)
    assert load_config(copy).path == copy
