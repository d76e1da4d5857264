"""Self-defeating setups are refused or warned about, with the reason.

- an exclusion that excludes the brand's own keywords (its own name would never be a mention);
- a single everyday word as a term (on X, which bills every post read: the cost risk is shown);
- language codes that are not ISO 639-1 (they would compile to `lang:spanish`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from monitor.config import ConfigError
from sources.twitter_query import compile_twitter_queries, cost_warnings
from tests.keywords.keyword_helpers import make_config

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    shutil.copy(REPO / "config.toml", path)
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _error(brand: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        make_config({"name": "Sol", **brand})
    return str(info.value)


# --- an exclusion that excludes the brand's own keywords -------------------------------------


@pytest.mark.parametrize(
    ("keywords", "excluded", "says"),
    [
        ({"terms": ["tienda sol"], "exclude": ["Sol"]}, "'Sol'", "'tienda sol' (terms)"),
        ({"terms": ["envío gratis"], "exclude": ["ENVIO"]}, "'ENVIO'", "'envío gratis'"),
        ({"hashtags": ["TiendaSol"], "exclude": ["#tiendasol"]}, "'#tiendasol'", "'#TiendaSol'"),
        ({"handles": ["tiendasol"], "exclude": ["tiendasol"]}, "'tiendasol'", "'@tiendasol'"),
        (
            {"terms": ["tienda sol"], "overrides": {"reddit": {"exclude": ["tienda"]}}},
            "'tienda' (on reddit)",
            "'tienda sol'",
        ),
    ],
)
def test_an_exclusion_of_the_brands_own_keyword_is_refused(
    keywords: dict[str, Any], excluded: str, says: str
) -> None:
    message = _error({"keywords": keywords})
    assert message.startswith("config.toml: brands[0] (name='Sol').keywords: expected ")
    assert f"got exclude {excluded}, which drops every post that says {says}" in message
    assert "would never be a mention" in message


def test_exclusions_about_something_else_are_fine() -> None:
    config = make_config({"name": "Sol", "keywords": {
        "terms": ["tienda sol", "sol"], "exclude": ["sol de verano", "crema solar", "#sorteo"]}})
    assert config.brands[0].keywords.exclude == ["sol de verano", "crema solar", "#sorteo"]


def test_adding_a_self_defeating_exclusion_is_refused_and_the_name_still_matches(
    example: Path,
) -> None:
    original = example.read_bytes()
    code, _, err = _run("keywords", "add", "--config", str(example), "--kind", "exclude", "sol")
    assert code == 2
    assert "got exclude 'sol', which drops every post that says 'tienda sol'" in err
    assert example.read_bytes() == original
    code, out, _ = _run("keywords", "test", "--config", str(example), "Tienda Sol no contesta")
    assert code == 0
    assert "=> stored as a mention of 'Tienda Sol'" in out


# --- an everyday word as a term ----------------------------------------------------------------


def test_adding_an_everyday_word_warns_with_the_estimated_x_cost(example: Path) -> None:
    code, out, err = _run("keywords", "add", "--config", str(example), "sol")
    assert code == 0  # a warning: a brand may really be called "Sol"
    assert "added 'sol' to keywords.terms" in out
    assert err.startswith("warning: Tienda Sol: term 'sol' is an everyday word in Spanish")
    # defaults: 5 pages x 100 posts every 5 min, $0.005 a post, 100,000 reads a month
    assert "the X query sends `OR sol`" in err
    assert "up to 144,000 posts a day" in err and "about $720.00 a day" in err
    assert "monthly read budget (100,000 posts) would last about 17 hours" in err
    code, _, err = _run("keywords", "test", "--config", str(example), "tienda sol")
    assert code == 0 and "term 'sol' is an everyday word" in err
    code, _, err = _run("keywords", "add", "--config", str(example), "solmarket", "sol y luna")
    assert code == 0 and err == ""


def test_cost_follows_the_configured_budget_and_only_x_searches() -> None:
    config = make_config(
        {"name": "Sol", "languages": ["en"], "keywords": {"terms": ["Tienda Sol", "Love"]}},
        sources={"twitter": {"page_budget": 2, "max_results": 50, "interval_minutes": 10,
                             "monthly_read_budget": 0, "cost_per_read_usd": 0.01}},
    )
    [line] = cost_warnings(config.brands[0], config.sources.twitter)
    assert "term 'Love' is an everyday word in English" in line
    assert " OR Love" in compile_twitter_queries(config.brands[0])[0]
    assert "up to 14,400 posts a day (2 pages of 50 every 10 min)" in line
    assert "about $144.00 a day at $0.01 per post" in line
    assert "monthly read budget" not in line  # 0 = no budget configured
    dropped = make_config({"name": "Sol", "keywords": {
        "terms": ["tienda sol", "sol"], "overrides": {"twitter": {"drop": ["sol"]}}}})
    assert cost_warnings(dropped.brands[0], dropped.sources.twitter) == []


# --- language codes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "value", "hint"),
    [
        ("languages[0]", "spanish", "(did you mean 'es'?)"),
        ("languages[0]", "spa", "(did you mean 'es'?)"),
        ("languages[0]", "es-MX", "(did you mean 'es'?)"),
        ("languages[0]", "xx", ""),
        ("languages[0]", "*", "any language is set in keywords.languages"),
        ("keywords.languages[0]", "Português", "(did you mean 'pt'?)"),
        ("keywords.languages[0]", "por", "(did you mean 'pt'?)"),
    ],
)
def test_language_codes_must_be_iso_639_1(where: str, value: str, hint: str) -> None:
    brand: dict[str, Any] = {"keywords": {"terms": ["tienda sol"]}}
    if where.startswith("keywords"):
        brand["keywords"]["languages"] = [value]
    else:
        brand["languages"] = [value]
    message = _error(brand)
    assert message.startswith(f"config.toml: brands[0] (name='Sol').{where}: expected an ISO 639-1")
    assert repr(value) in message and hint in message


def test_valid_codes_still_load_and_compile() -> None:
    config = make_config({"name": "Sol", "languages": ["ES", "pt"],
                          "keywords": {"terms": ["tienda sol"]}})
    assert config.brands[0].languages == ["es", "pt"]
    assert "(lang:es OR lang:pt OR lang:und)" in compile_twitter_queries(config.brands[0])[0]


def test_check_fails_on_a_language_name_naming_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[brands]]\nname = "Sol"\nlanguages = ["spanish"]\n'
                    '[brands.keywords]\nterms = ["tienda sol"]\n', encoding="utf-8")
    code, out, err = _run("check", "--config", str(path))
    assert code != 0
    assert f"{path}: brands[0] (name='Sol').languages[0]: expected an ISO 639-1" in out + err
    assert "got 'spanish' (did you mean 'es'?)" in out + err
