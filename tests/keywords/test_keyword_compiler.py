"""Compiled platform queries: syntax per platform, the 512-character split, exclusions, keys."""

from __future__ import annotations

import re

import pytest

from sources import facebook, twitter
from sources.keyword_query import KeywordCompileError, query_key
from sources.reddit_query import compile_reddit_queries, compile_reddit_query
from sources.twitter_query import compile_twitter_queries, compile_twitter_reply_queries
from tests.keywords.keyword_helpers import make_brand, make_config

SUFFIX = '-"crema solar" -verano -#spam -@trolls -from:bot1 -from:tiendasol'


def _brand(**extra: object) -> object:
    keywords: dict[str, object] = {
        "terms": ["Tienda Sol", "solmarket"],
        "phrases": ["envío gratis"],
        "hashtags": ["TiendaSol"],
        "handles": ["tiendasol"],
        "exclude": ["crema solar", "verano", "#spam", "@trolls"],
        "exclude_authors": ["bot1"],
    }
    keywords.update(extra)
    return make_brand(accounts={"twitter": ["TiendaSol"]}, brand_languages=["es", "en"], **keywords)


def test_twitter_query_syntax() -> None:
    [query] = compile_twitter_queries(_brand())  # type: ignore[arg-type]
    assert query == (
        '("Tienda Sol" OR TiendaSol OR solmarket OR "envío gratis" OR #TiendaSol OR @tiendasol) '
        '-"crema solar" -verano -#spam -@trolls -from:bot1 -from:TiendaSol '
        "(lang:es OR lang:en OR lang:und) -is:retweet"
    )


def test_twitter_retweets_and_languages_are_optional() -> None:
    brand = _brand(languages=["*"])
    [query] = compile_twitter_queries(brand, exclude_retweets=False)  # type: ignore[arg-type]
    assert "is:retweet" not in query
    assert "lang:" not in query
    [one_lang] = compile_twitter_queries(_brand(languages=["pt"]))  # type: ignore[arg-type]
    assert "(lang:pt OR lang:und)" in one_lang


def test_single_keyword_needs_no_group() -> None:
    brand = make_brand(terms=["solmarket"], languages=["*"])
    assert compile_twitter_queries(brand) == ["solmarket -is:retweet"]


def test_brand_accounts_are_excluded_once_even_if_also_listed() -> None:
    brand = make_brand(terms=["sol market"], exclude_authors=["TiendaSol", "bot"],
                       accounts={"twitter": ["tiendasol"]})
    [query] = compile_twitter_queries(brand)
    assert query.lower().count("-from:tiendasol") == 1
    assert "-from:bot" in query


def test_twitter_split_respects_512_and_repeats_every_exclusion() -> None:
    terms = [f"producto numero {i} de la tienda sol edicion especial" for i in range(60)]
    brand = _brand(terms=terms)
    queries = compile_twitter_queries(brand)  # type: ignore[arg-type]
    assert len(queries) > 3
    suffix = '-"crema solar" -verano -#spam -@trolls -from:bot1 -from:TiendaSol ' \
        "(lang:es OR lang:en OR lang:und) -is:retweet"
    for query in queries:
        assert len(query) <= 512
        assert query.endswith(" " + suffix)
        assert query.startswith("(")
    sent = [a for q in queries for a in re.findall(r'"[^"]+"|[#@]?\w+', q.removesuffix(suffix))]
    for term in terms:  # every keyword is sent, in order, exactly once
        assert sent.count(f'"{term}"') == 1
    positions = [sent.index(f'"{t}"') for t in terms]
    assert positions == sorted(positions)


def test_adding_a_keyword_at_the_end_changes_only_the_last_query() -> None:
    terms = [f"producto numero {i} de la tienda sol" for i in range(40)]
    before = compile_twitter_queries(make_brand(terms=terms))
    after = compile_twitter_queries(make_brand(terms=[*terms, "nuevo producto"]))
    assert before[:-1] == after[:-1]
    assert before[-1] != after[-1]


def test_max_length_is_configurable_for_higher_tiers() -> None:
    terms = [f"producto numero {i} de la tienda sol" for i in range(40)]
    assert len(compile_twitter_queries(make_brand(terms=terms), max_length=4096)) == 1


def test_exclusions_too_long_for_any_query_is_a_clear_error() -> None:
    excludes = [f"frase excluida numero {i}" for i in range(30)]
    with pytest.raises(KeywordCompileError, match="exclusions, languages and filters already take"):
        compile_twitter_queries(make_brand(terms=["sol market"], exclude=excludes))


def test_twitter_overrides_apply_only_to_twitter() -> None:
    brand = make_brand(
        terms=["sol market", "girasol"],
        overrides={"twitter": {"terms": ["solmkt"], "drop": ["girasol"], "exclude": ["promo"]}},
    )
    [twitter] = compile_twitter_queries(brand)
    assert "solmkt" in twitter and "girasol" not in twitter and "-promo" in twitter
    [reddit] = compile_reddit_queries(brand)
    assert "girasol" in reddit and "solmkt" not in reddit and "promo" not in reddit


def test_nothing_to_watch_compiles_to_no_query() -> None:
    brand = make_brand(overrides={"reddit": {"terms": ["sol market"]}})
    assert compile_twitter_queries(brand) == []
    assert compile_reddit_query(brand) == '("sol market" OR solmarket)'


def test_reply_queries_find_the_brands_own_replies() -> None:
    brand = make_brand(terms=["sol"], accounts={"twitter": ["tiendasol", "solayuda"]})
    assert compile_twitter_reply_queries(brand) == ["(from:tiendasol OR from:solayuda) is:reply"]
    assert compile_twitter_reply_queries(make_brand(terms=["sol"])) == []
    many = make_brand(terms=["sol"], accounts={"twitter": [f"cuenta_{i:03d}" for i in range(80)]})
    queries = compile_twitter_reply_queries(many)
    assert len(queries) > 1
    assert all(len(q) <= 512 and q.endswith(" is:reply") for q in queries)


def test_reddit_query_syntax_sends_accented_and_plain_forms() -> None:
    brand = make_brand(
        terms=["Tienda Sol", "envío"],
        phrases=["sin stock"],
        hashtags=["SolDeals"],
        handles=["tiendasol"],
        exclude=["crema solar", "#spam"],
        exclude_authors=["bot1"],
        accounts={"reddit": ["TiendaSolOficial"]},
    )
    # Reddit ignores case: the handle tiendasol is already sent as the joined term TiendaSol.
    assert compile_reddit_query(brand) == (
        '("Tienda Sol" OR TiendaSol OR envío OR envio OR "sin stock" OR SolDeals) '
        'NOT "crema solar" NOT spam NOT author:bot1 NOT author:TiendaSolOficial'
    )


def test_reddit_split_and_single_query_guard() -> None:
    terms = [f"producto numero {i} de la tienda sol" for i in range(40)]
    brand = make_brand(terms=terms, exclude=["crema solar"])
    queries = compile_reddit_queries(brand)
    assert len(queries) > 1
    assert all(len(q) <= 512 and q.endswith(' NOT "crema solar"') for q in queries)
    with pytest.raises(KeywordCompileError, match="compile_reddit_queries"):
        compile_reddit_query(brand)


def test_query_key_is_stable_short_and_changes_with_the_query() -> None:
    key = query_key("twitter", "Sol", "sol -is:retweet")
    assert key == query_key("twitter", "Sol", "sol -is:retweet")
    assert re.fullmatch(r"[0-9a-f]{16}", key)
    assert key != query_key("twitter", "Sol", "sol")
    assert key != query_key("reddit", "Sol", "sol -is:retweet")
    assert key != query_key("twitter", "Luna", "sol -is:retweet")


def test_source_queries_key_each_compiled_query() -> None:
    config = make_config(
        {"name": "Sol", "accounts": {"twitter": ["tiendasol"], "twitter_ids": ["42"],
                                     "facebook": ["104"]},
         "keywords": {"terms": ["sol market"], "languages": ["es"]}},
        {"name": "Vacía", "keywords": {}},
        sources={"twitter": {"exclude_retweets": False}},
    )
    sol, empty = config.brands
    mentions, _replies = twitter.build_queries(sol, config.sources.twitter)
    assert mentions.brand == "Sol"
    assert mentions.key == query_key("twitter", "Sol", mentions.text)
    assert "is:retweet" not in mentions.text
    assert mentions.accounts.handles == ("tiendasol",) and mentions.accounts.ids == ("42",)
    assert mentions.options["languages"] == ["es"]
    assert twitter.build_queries(empty, config.sources.twitter) == []
    feeds = facebook.build_queries(sol, config.sources.facebook)
    assert feeds and all(q.text == "" and q.brand == "Sol" for q in feeds)
    assert facebook.build_queries(empty, config.sources.facebook) == []


def test_compile_errors_name_the_brand_and_key() -> None:
    brand = make_brand(
        terms=["sol market"], exclude=[f"frase numero {i} larga" for i in range(40)]
    )
    with pytest.raises(KeywordCompileError, match=r"^brands \(name='Sol'\)\.keywords \(twitter\)"):
        compile_twitter_queries(brand)
