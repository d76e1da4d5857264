"""Every form a person types works: with or without '#'/'@', any case, on the example config."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import load_config
from monitor.keywords.editing import remove_keyword

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the documented config.toml: hashtags ["#TiendaSol"], handles ["@tiendasol"]."""
    path = tmp_path / "config.toml"
    shutil.copy(REPO / "config.toml", path)
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["keywords", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("kind", "value", "left"),
    [
        ("hashtag", "#TiendaSol", "hashtags"),
        ("hashtags", "TiendaSol", "hashtags"),
        ("hashtag", "#tiendasol", "hashtags"),
        ("HASHTAG", "TIENDASOL", "hashtags"),
        ("handle", "@tiendasol", "handles"),
        ("handle", "tiendasol", "handles"),
        ("handles", "@TiendaSol", "handles"),
    ],
)
def test_remove_accepts_every_form_of_a_hashtag_or_handle(
    example: Path, kind: str, value: str, left: str
) -> None:
    code, out, err = _run("remove", "--config", str(example), "--kind", kind, value)
    assert code == 0, err
    assert f"removed {value!r} from keywords.{left}" in out
    assert getattr(load_config(example).brands[0].keywords, left) == []


@pytest.mark.parametrize(("value", "kind"), [("#TiendaSol", "hashtags"), ("@TIENDASOL", "handles")])
def test_a_leading_hash_or_at_says_which_list_when_kind_is_not_given(
    example: Path, value: str, kind: str
) -> None:
    code, out, err = _run("remove", "--config", str(example), value)
    assert code == 0, err
    assert f"from keywords.{kind}" in out
    code, out, err = _run("add", "--config", str(example), value)
    assert code == 0, err
    assert f"to keywords.{kind}" in out
    assert getattr(load_config(example).brands[0].keywords, kind) != []


def test_adding_another_form_of_a_listed_hashtag_is_a_duplicate(example: Path) -> None:
    original = example.read_bytes()
    code, _, err = _run("add", "--config", str(example), "--kind", "hashtag", "tiendasol")
    assert code == 2
    assert "'tiendasol' is already there as '#TiendaSol'" in err
    assert example.read_bytes() == original


def test_editing_function_takes_any_form_too(example: Path) -> None:
    config = remove_keyword(example, "Tienda Sol", "hashtags", "tiendasol")
    assert config.brands[0].keywords.hashtags == []
    config = remove_keyword(example, "Tienda Sol", "handles", "u/TiendaSol")
    assert config.brands[0].keywords.handles == []


def test_a_value_in_another_list_is_named(example: Path) -> None:
    code, _, err = _run("remove", "--config", str(example), "--kind", "handle", "@tiendasol_bot")
    assert code == 2
    assert "'@tiendasol_bot' is not there (it has '@tiendasol'); it is in exclude_authors" in err


def test_mixed_prefixes_without_kind_are_refused_with_the_reason(example: Path) -> None:
    code, _, err = _run("add", "--config", str(example), "#Rebajas", "@rebajas")
    assert code == 2
    assert "different lists (handles, hashtags)" in err


@pytest.mark.parametrize(
    "args",
    [
        ["--brand", "tienda sol"],
        ["--brand", "TIENDA SOL", "--source", "X"],
        ["--source", "Twitter", "--lang", "ES"],
        ["--source", "REDDIT"],
    ],
)
@pytest.mark.parametrize(
    "text", ["#TiendaSol", "@TIENDASOL no contesta", "tiendasol", "Tienda Sol"]
)
def test_test_takes_any_case_of_brand_source_and_language(
    example: Path, args: list[str], text: str
) -> None:
    code, out, err = _run("test", "--config", str(example), *args, text)
    assert code == 0, err + out
    assert "=> stored as a mention of 'Tienda Sol'" in out


@pytest.mark.parametrize("author", ["@TiendaSol_Bot", "tiendasol_bot", "u/TIENDASOL_BOT"])
def test_test_author_in_any_form_is_excluded(example: Path, author: str) -> None:
    code, out, _ = _run("test", "--config", str(example), "--author", author, "Tienda Sol")
    assert "author @tiendasol_bot is in exclude_authors" in out
    assert code == 1
