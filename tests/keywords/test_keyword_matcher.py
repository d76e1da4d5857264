"""The local matcher: accents, case, word boundaries, emoji, hashtags, handles, exclusions."""

from __future__ import annotations

import time

import pytest

from monitor.keywords import BrandMatcher, KeywordMatch
from tests.keywords.keyword_helpers import make_config

SOL = {
    "name": "Sol",
    "languages": ["es", "en"],
    "accounts": {"twitter": ["TiendaSol"], "twitter_ids": ["1001"], "reddit": ["sol_oficial"]},
    "keywords": {
        "terms": ["tienda sol", "envío", "sol"],
        "phrases": ["sin stock"],
        "hashtags": ["SolDeals"],
        "handles": ["tiendasol"],
        "exclude": ["crema solar", "sol de verano", "#sorteo", "@solbot"],
        "exclude_authors": ["spam_bot"],
        "overrides": {
            "reddit": {"terms": ["astro shop"], "drop": ["sol"]},
            "facebook": {"exclude": ["concurso"]},
        },
    },
}
LUA = {"name": "Lua", "languages": ["pt"], "keywords": {"terms": ["loja lua"],
                                                       "phrases": ["frete grátis"]}}


@pytest.fixture(scope="module")
def matcher() -> BrandMatcher:
    return BrandMatcher.from_config(make_config(SOL, LUA))


def _kw(matcher: BrandMatcher, text: str, source: str = "twitter", **kwargs: str) -> str | None:
    found = matcher.match(text, source=source, **kwargs)
    return found.keyword if found else None


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("Mi ENVÍO no llega", "envío"),
        ("mi envio no llega", "envío"),
        ("mi envi\u0301o no llega", "envío"),  # decomposed accent (NFD input)
        ("TIENDA SOL!!", "tienda sol"),
        ("¿Qué pasa con Tienda  Sol?", "tienda sol"),
        ("compré en tienda-sol", "tienda sol"),
        ("compré en tiendasol.", "tienda sol"),
        ("#TiendaSol me estafó", "tienda sol"),  # a term also matches its hashtag
        ("gracias @TiendaSol", "tiendasol"),  # the handle starts first
        ("¡Sol!", "sol"),
        ("Producto SIN STOCK otra vez", "sin stock"),
        ("sin, stock", "sin stock"),
    ],
)
def test_matches_ignoring_case_accents_and_separators(
    matcher: BrandMatcher, text: str, keyword: str
) -> None:
    assert _kw(matcher, text) == keyword


@pytest.mark.parametrize(
    "text",
    ["la solución", "girasol", "solmarket", "sol_oficial", "consola", "sol2024", "sinstock",
     "#sinstock", "tienda solar", "solución de envíos", "@tienda_sol", "tienda_sol"],
)
def test_respects_word_boundaries(matcher: BrandMatcher, text: str) -> None:
    assert matcher.match(text, source="twitter") is None


@pytest.mark.parametrize(
    "text",
    ["🌞sol🌞", "sol😡😡", "😡 TIENDA SOL 👨‍👩‍👧‍👦", "🇪🇸sol🇪🇸", "👍🏽sol", "sol\u200dlindo"],
)
def test_emoji_next_to_a_term_do_not_break_boundaries(matcher: BrandMatcher, text: str) -> None:
    assert matcher.match(text, source="twitter") is not None


@pytest.mark.parametrize(
    "text", ["", "👨‍👩‍👧‍👦" * 200, "\u200d\ufe0f" * 50, "🏳️‍🌈🏴‍☠️🧑🏽‍🤝‍🧑🏿", "\x00\ud7ff"]
)
def test_texts_full_of_emoji_or_odd_characters_do_not_crash(
    matcher: BrandMatcher, text: str
) -> None:
    assert matcher.match(text, source="twitter") is None
    assert len(matcher.explain(text, source="twitter")) == 2


def test_hashtag_entries_match_only_hashtags(matcher: BrandMatcher) -> None:
    assert _kw(matcher, "ofertas #SolDeals hoy") == "SolDeals"
    assert _kw(matcher, "ofertas #soldeals") == "SolDeals"
    assert matcher.match("ofertas soldeals", source="twitter") is None
    assert matcher.match("ofertas #SolDealsHoy", source="twitter") is None


def test_handles_match_mentions_but_not_emails(matcher: BrandMatcher) -> None:
    found = matcher.match("hola @TiendaSol: ayuda", source="facebook")
    assert found == KeywordMatch("Sol", "tiendasol", "handle", (5, 15))
    assert _kw(matcher, "u/tiendasol help", source="reddit") == "tiendasol"
    assert matcher.match("escribe a ayuda@tiendasolx.com", source="twitter") is None


def test_span_points_into_the_original_text(matcher: BrandMatcher) -> None:
    text = "ﬁesta: Straße — ¡TIENDA SOL! 😡 envío"
    found = matcher.match(text, source="twitter")
    assert found is not None
    assert text[found.span[0] : found.span[1]] == "TIENDA SOL"
    nfd = "mi envi\u0301o\u0301!"  # combining marks after the last letter belong to it
    found = matcher.match(nfd, source="twitter")
    assert found is not None and nfd[found.span[0] : found.span[1]] == "envi\u0301o\u0301"
    nfd = "el envi\u0301o"
    found = matcher.match(nfd, source="twitter")
    assert found is not None and nfd[found.span[0] : found.span[1]] == "envi\u0301o"


@pytest.mark.parametrize(
    "text",
    ["La crema solar de Tienda Sol", "Sol de verano en tienda sol", "#sorteo tienda sol",
     "tienda sol gracias @SolBot", "CREMA SOLAR tienda sol"],
)
def test_exclusions_rule_the_brand_out(matcher: BrandMatcher, text: str) -> None:
    assert matcher.match(text, source="twitter") is None


def test_exclusions_are_on_word_boundaries_too(matcher: BrandMatcher) -> None:
    assert _kw(matcher, "cremas solares y tienda sol") == "tienda sol"
    assert _kw(matcher, "tienda sol #sorteos") == "tienda sol"


def test_excluded_authors_and_the_brands_own_accounts(matcher: BrandMatcher) -> None:
    text = "Tienda Sol responde"
    assert matcher.match(text, source="twitter", author_handle="@Spam_Bot") is None
    assert matcher.match(text, source="twitter", author_handle="tiendasol") is None
    assert matcher.match(text, source="twitter", author_id="1001") is None
    assert matcher.match(text, source="reddit", author_handle="u/sol_oficial") is None
    # the brand's X account is not its Reddit account
    assert _kw(matcher, text, source="reddit", author_handle="tiendasol") == "tienda sol"
    assert _kw(matcher, text, source="twitter", author_handle="cliente") == "tienda sol"


def test_the_brands_own_instagram_and_bluesky_accounts_are_never_a_mention() -> None:
    config = make_config({
        "name": "Sol",
        "accounts": {"instagram": ["17841400000000001"],
                     "bluesky": ["TiendaSol.bsky.social", "did:plc:sol0000000000000000"]},
        "keywords": {"terms": ["tienda sol"]},
    })
    matcher = BrandMatcher.from_config(config)
    text = "Tienda Sol: ¡nueva colección!"
    assert matcher.match(text, source="instagram", author_id="17841400000000001") is None
    assert matcher.match(text, source="bluesky", author_handle="tiendasol.bsky.social") is None
    assert matcher.match(text, source="bluesky", author_handle="@TIENDASOL.bsky.social") is None
    assert matcher.match(text, source="bluesky", author_handle="other.bsky.social",
                         author_id="did:plc:sol0000000000000000") is None
    why = matcher.explain(text, source="bluesky", author_handle="tiendasol.bsky.social")
    assert why[0].reason == ("ruled out: author tiendasol.bsky.social is the brand's own "
                             "bluesky account")
    # a customer is a mention, and one platform's account is not another's
    assert _kw(matcher, text, source="bluesky", author_handle="julia.bsky.social",
               author_id="did:plc:julia") == "tienda sol"
    assert _kw(matcher, text, source="instagram", author_id="17841455500001") == "tienda sol"
    assert _kw(matcher, text, source="twitter", author_id="17841400000000001") == "tienda sol"


def test_per_source_overrides(matcher: BrandMatcher) -> None:
    assert _kw(matcher, "el sol quema") == "sol"
    assert matcher.match("el sol quema", source="reddit") is None  # dropped on reddit
    assert _kw(matcher, "see AstroShop", source="reddit") == "astro shop"
    assert matcher.match("see AstroShop", source="twitter") is None
    assert _kw(matcher, "concurso de tienda sol") == "tienda sol"
    assert matcher.match("concurso de tienda sol", source="facebook") is None


def test_languages(matcher: BrandMatcher) -> None:
    assert matcher.match("tienda sol", source="twitter", lang="fr") is None
    for lang in ("es", "EN", "es-419", "und", "zxx"):
        assert _kw(matcher, "tienda sol", lang=lang) == "tienda sol"


def test_portuguese_and_brand_order(matcher: BrandMatcher) -> None:
    assert matcher.match("Não recebi nada da LOJA LUA, frete gratis mentira", source="twitter",
                         lang="pt") == KeywordMatch("Lua", "loja lua", "term", (19, 27))
    assert _kw(matcher, "FRETE GRÁTIS!!!") == "frete grátis"
    both = "tienda sol y loja lua"
    assert _kw(matcher, both) == "tienda sol"  # config order decides
    assert [m.brand for m in matcher.match_all(both, source="twitter")] == ["Sol", "Lua"]


def test_phrases_do_not_join_words(matcher: BrandMatcher) -> None:
    assert _kw(matcher, "#fretegratis hoje") is None


def test_explain_says_why(matcher: BrandMatcher) -> None:
    sol, lua = matcher.explain("La crema solar de Tienda Sol", source="twitter")
    assert not sol.matched and "exclusion 'crema solar'" in sol.reason
    assert [h.keyword for h in sol.hits] == ["tienda sol"]
    assert lua.reason == "no keyword found"
    [sol, _] = matcher.explain("tienda sol", source="twitter", author_handle="spam_bot")
    assert "exclude_authors" in sol.reason
    [sol, _] = matcher.explain("el SOL y envío", source="twitter")
    assert sol.matched and sol.reason == "matched term 'sol' as 'SOL'"
    assert [h.keyword for h in sol.hits] == ["sol", "envío"]


def test_a_brand_watching_nothing_never_matches() -> None:
    matcher = BrandMatcher.from_config(make_config({"name": "Nueva", "keywords": {}}))
    assert matcher.match("anything at all", source="twitter") is None
    assert matcher.explain("x", source="twitter")[0].reason == "watches no keyword on twitter"


def test_fast_enough_for_every_fetched_comment(matcher: BrandMatcher) -> None:
    texts = [f"comentario {i} sobre la solución 😡 y el clima #{i}" for i in range(5000)]
    start = time.perf_counter()
    for text in texts:
        matcher.match(text, source="facebook")
    assert time.perf_counter() - start < 2.0  # ~20x headroom on a laptop
