"""`vigia keywords` through click: round trip on a commented config, clear errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import load_config
from tests.keywords.keyword_helpers import COMMENTED_CONFIG


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["keywords", *args])
    return result.exit_code, result.stdout, result.stderr


def test_round_trip_keeps_comments_and_the_file_validates(config_file: Path) -> None:
    cfg = str(config_file)
    code, out, _ = _run("add", "--config", cfg, "--brand", "Sol", "sol market", "solmkt")
    assert code == 0
    assert "Sol: added 'sol market', 'solmkt' to keywords.terms" in out
    code, out, _ = _run("add", "--config", cfg, "--brand", "Sol", "--kind", "exclusion",
                        "--source", "reddit", "girasol")
    assert code == 0, out
    code, out, _ = _run("list", "--config", cfg, "--brand", "Sol")
    assert code == 0
    assert "terms: 'tienda sol', 'envío gratis', 'sol market', 'solmkt'" in out
    assert "overrides.reddit:\n    exclude: 'girasol'" in out
    assert "Lua" not in out
    text = config_file.read_text(encoding="utf-8")
    for line in COMMENTED_CONFIG.splitlines():
        if "#" in line:
            assert line in text
    config = load_config(config_file)
    assert config.brand("Sol").keywords.overrides["reddit"].exclude == ["girasol"]
    code, _, _ = _run("remove", "--config", cfg, "--brand", "Sol", "SOL MARKET", "solmkt")
    assert code == 0
    code, _, _ = _run("remove", "--config", cfg, "--brand", "Sol", "--kind", "exclude",
                      "--source", "reddit", "girasol")
    assert code == 0
    assert "girasol" not in config_file.read_text(encoding="utf-8")
    assert load_config(config_file).brand("Sol").keywords.terms == ["tienda sol", "envío gratis"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "--brand", "Sol", ""], "keywords.terms: expected a non-empty keyword"),
        (["add", "--brand", "Sol", '"envío'], "expected balanced double quotes"),
        (["add", "--brand", "Sol", "Envio Gratis"], "already there as 'envío gratis'"),
        (["add", "--brand", "Nadie", "x"], "no brand named 'Nadie'"),
        (["add", "sol market"], "several brands ('Sol', 'Lua'); choose one with --brand"),
        (["remove", "--brand", "Lua", "loja lua"], "last term, phrase, hashtag or handle"),
        (["list", "--brand", "Nadie"], "no brand named 'Nadie'"),
    ],
)
def test_errors_are_one_message_exit_2_and_leave_the_file_alone(
    config_file: Path, args: list[str], message: str
) -> None:
    original = config_file.read_bytes()
    code, out, err = _run(*args[:1], "--config", str(config_file), *args[1:])
    assert code == 2
    assert message in err
    assert err.startswith(f"error: {config_file}: ")
    assert "Traceback" not in err + out
    assert config_file.read_bytes() == original


def test_missing_config_file_is_reported(tmp_path: Path) -> None:
    code, _, err = _run("list", "--config", str(tmp_path / "nope.toml"))
    assert code == 2
    assert "config file not found" in err


def test_test_command_explains_and_shows_compiled_queries(config_file: Path) -> None:
    code, out, _ = _run("test", "--config", str(config_file), "¡Mi ENVIO GRATIS nunca llegó! 😡")
    assert code == 0
    assert "Sol: MATCH on twitter: matched term 'envío gratis' as 'ENVIO GRATIS'" in out
    assert "Lua: no match on twitter: no keyword found" in out
    assert "=> stored as a mention of 'Sol'" in out
    assert '  twitter [1/1, ' in out and '-"crema solar" -from:tiendasol' in out
    assert "  twitter replies [1/1, 23 chars]: from:tiendasol is:reply" in out
    assert '  reddit [1/1, ' in out and '"envio gratis"' in out
    assert "Compiled queries for Lua:" in out


def test_test_command_shows_exclusions_and_authors(config_file: Path) -> None:
    cfg = str(config_file)
    _, out, _ = _run("test", "--config", cfg, "--brand", "Sol", "crema solar de tienda sol")
    assert "Sol: no match on twitter: ruled out: exclusion 'crema solar'" in out
    assert "=> not a mention" in out
    assert "Lua" not in out
    _, out, _ = _run("test", "--config", cfg, "--author", "@TiendaSol", "tienda sol")
    assert "author tiendasol is the brand's own twitter account" in out
    _, out, _ = _run("test", "--config", cfg, "--source", "reddit", "--author", "TiendaSol",
                     "tienda sol")
    assert "Sol: MATCH on reddit" in out


def test_the_group_is_registered_on_the_main_cli() -> None:
    result = CliRunner().invoke(cli, ["keywords", "--help"])
    assert result.exit_code == 0
    for command in ("list", "add", "remove", "test"):
        assert command in result.stdout


def test_test_exit_code_says_whether_the_text_is_a_mention(config_file: Path) -> None:
    cfg = str(config_file)
    code, out, _ = _run("test", "--config", cfg, "me encanta tienda sol")
    assert (code, "=> stored as a mention of 'Sol'" in out) == (0, True)
    code, out, _ = _run("test", "--config", cfg, "hoy hace sol")
    assert (code, "=> not a mention" in out) == (1, True)
    code, out, _ = _run("test", "--config", cfg, "crema solar de tienda sol")
    assert code == 1
    code, out, _ = _run("test", "--config", cfg, "--brand", "Lua", "me encanta tienda sol")
    assert code == 1
    assert "=> not a mention of 'Lua' (stored as a mention of 'Sol')" in out
    code, _, err = _run("test", "--config", cfg, "--brand", "Nadie", "tienda sol")
    assert code == 2 and "no brand named 'Nadie'" in err


def test_test_command_shows_the_bluesky_queries_and_its_own_account(config_file: Path) -> None:
    text = config_file.read_text(encoding="utf-8").replace(
        'twitter = ["tiendasol"]', 'twitter = ["tiendasol"]\nbluesky = ["tiendasol.bsky.social"]')
    config_file.write_text(text, encoding="utf-8")
    cfg = str(config_file)
    code, out, _ = _run("test", "--config", cfg, "--brand", "Sol", "--source", "bluesky",
                        "me encanta tienda sol")
    assert code == 0
    assert "Sol: MATCH on bluesky: matched term 'tienda sol'" in out
    assert '  bluesky [1/6, 12 chars]: "tienda sol"\n' in out
    assert "  bluesky [2/6, 9 chars]: tiendasol\n" in out
    assert "  bluesky [6/6, 10 chars]: #TiendaSol\n" in out
    assert "  bluesky: no negation in its search; excluded locally: 'crema solar'" in out
    assert "  bluesky replies [1/1, 26 chars]: from:tiendasol.bsky.social" in out
    assert "  instagram: no server-side search" in out
    code, out, _ = _run("test", "--config", cfg, "--source", "Bluesky", "--author",
                        "@TiendaSol.bsky.social", "me encanta tienda sol")
    assert code == 1
    assert "author tiendasol.bsky.social is the brand's own bluesky account" in out
