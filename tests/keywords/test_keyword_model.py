"""KeywordSet validation: bad keywords are refused with the file, key path and expectation."""

from __future__ import annotations

from typing import Any

import pytest

from monitor.config import ConfigError
from monitor.keywords import KeywordSet, fold
from tests.keywords.keyword_helpers import make_brand, make_config


def _error(**keywords: Any) -> str:
    with pytest.raises(ConfigError) as info:
        make_config({"name": "Sol", "keywords": keywords})
    return str(info.value)


@pytest.mark.parametrize(
    ("keywords", "key", "expected"),
    [
        ({"terms": ["sol", ""]}, "keywords.terms[1]", "non-empty keyword"),
        ({"terms": ["   "]}, "keywords.terms[0]", "non-empty keyword"),
        ({"phrases": ['envío "gratis']}, "keywords.phrases[0]", "balanced double quotes"),
        ({"terms": ['la "sol" tienda']}, "keywords.terms[0]", "without inner double quotes"),
        ({"terms": ["de la"]}, "keywords.terms[0]", "distinctive keyword"),
        ({"terms": ["x"]}, "keywords.terms[0]", "at least 2 letters"),
        ({"terms": ["🌞"]}, "keywords.terms[0]", "at least 2 letters"),
        ({"terms": ["#TiendaSol"]}, "keywords.terms[0]", "put it in `hashtags`"),
        ({"terms": ["-sol"]}, "keywords.terms[0]", "put exclusions in `exclude`"),
        ({"hashtags": ["tienda sol"]}, "keywords.hashtags[0]", "one word, no spaces"),
        ({"handles": ["tienda sol"]}, "keywords.handles[0]", "a handle such as"),
        ({"exclude": ["de"]}, "keywords.exclude[0]", "distinctive keyword"),
        ({"languages": ["spanish"]}, "keywords.languages[0]", "ISO 639-1"),
        ({"exclude": ["verano"]}, "keywords", "exclusions alone watch nothing"),
        ({"exclude_authors": ["bot"]}, "keywords", "exclusions alone watch nothing"),
        ({"terms": ["envío", "ENVIO"]}, "keywords", "each keyword once in `terms`"),
        ({"terms": ["sol"], "overrides": {"twiter": {}}}, "keywords", "got ['twiter']"),
        ({"terms": ["sol"], "overrides": {"reddit": {"drop": ["luna"]}}}, "keywords", "'luna'"),
        ({"term": ["sol"]}, "keywords.term", "unknown key"),
    ],
)
def test_invalid_keywords_name_file_key_and_expectation(
    keywords: dict[str, Any], key: str, expected: str
) -> None:
    message = _error(**keywords)
    assert message.startswith("config.toml: brands[0] (name='Sol').")
    assert f"(name='Sol').{key}: " in message
    assert expected in message


def test_values_are_normalised_to_what_platforms_accept() -> None:
    brand = make_brand(
        terms=["  Tienda   Sol "],
        phrases=['"envío gratis"'],
        hashtags=["#TiendaSol"],
        handles=["@tiendasol"],
        exclude=["-#spam", "@Bot"],
        exclude_authors=["u/spammer"],
        languages=["ES"],
    )
    kw = brand.keywords
    assert kw.terms == ["Tienda Sol"]
    assert kw.phrases == ["envío gratis"]
    assert kw.hashtags == ["TiendaSol"]
    assert kw.handles == ["tiendasol"]
    assert kw.exclude == ["#spam", "@Bot"]
    assert kw.exclude_authors == ["spammer"]
    assert kw.languages == ["es"]


def test_empty_set_is_valid_so_a_new_brand_can_be_set_up_first() -> None:
    brand = make_brand()
    assert not brand.keywords.for_source("twitter", ["es"]).watches_anything


def test_keyword_set_is_importable_and_forbids_unknown_keys() -> None:
    assert KeywordSet.model_config.get("extra") == "forbid"


def test_for_source_applies_additions_drops_and_languages() -> None:
    brand = make_brand(
        terms=["tienda sol", "sol"],
        exclude=["crema solar"],
        overrides={
            "reddit": {"terms": ["r/tiendasol"], "drop": ["SOL"], "exclude": ["verano"]},
            "twitter": {"languages": ["*"]},
        },
    )
    reddit = brand.keywords.for_source("reddit", brand.languages)
    assert reddit.terms == ("tienda sol", "r/tiendasol")
    assert reddit.exclude == ("crema solar", "verano")
    assert reddit.languages == ("es",)
    twitter = brand.keywords.for_source("twitter", brand.languages)
    assert twitter.terms == ("tienda sol", "sol")
    assert twitter.languages is None  # "*" = any language
    facebook = brand.keywords.for_source("facebook", brand.languages)
    assert facebook.exclude == ("crema solar",)


def test_empty_languages_inherit_the_brands() -> None:
    brand = make_brand(terms=["sol"], languages=[], brand_languages=["es", "pt"],
                       overrides={"reddit": {"languages": []}, "twitter": {"languages": ["en"]}})
    assert brand.keywords.for_source("reddit", brand.languages).languages == ("es", "pt")
    assert brand.keywords.for_source("twitter", brand.languages).languages == ("en",)


def test_overrides_with_positives_make_brand_level_exclusions_valid() -> None:
    brand = make_brand(exclude=["verano"], overrides={"twitter": {"terms": ["sol"]}})
    assert brand.keywords.for_source("twitter", ["es"]).terms == ("sol",)


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Envío", "envio"), ("ÁRBOL", "arbol"), ("Straße", "strasse"), ("ﬁesta", "fiesta"),
     ("envi\u0301o", "envio"), ("ＳＯＬ", "sol"), ("não", "nao")],
)
def test_fold_ignores_case_accents_and_compatibility_forms(text: str, folded: str) -> None:
    assert fold(text) == folded
