"""What a reload sees after an edit: a readable diff, and fresh cursors only for changed queries."""

from __future__ import annotations

from pathlib import Path

from monitor.config import Config, load_config
from monitor.keywords import BrandMatcher, describe_keyword_changes
from monitor.keywords.editing import add_keyword, remove_keyword
from sources import twitter
from sources.base import Query
from tests.keywords.keyword_helpers import make_config

MANY_TERMS = ", ".join(f'"producto numero {i} de la tienda sol"' for i in range(30))
CONFIG = f"""\
[[brands]]
name = "Sol"
languages = ["es"]

[brands.keywords]
terms = [{MANY_TERMS}]  # long list: several X queries
exclude = ["crema solar"]
"""


def build_queries(config: Config, source: str) -> list[Query]:
    """The X mention searches the pipeline would run for every brand."""
    assert source == "twitter"
    return [
        query
        for brand in config.brands
        for query in twitter.build_queries(brand, config.sources.twitter)
        if query.options["kind"] == "mentions"
    ]


def test_edit_then_reload_changes_only_the_affected_query(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    old = load_config(path)
    old_keys = [q.key for q in build_queries(old, "twitter")]
    assert len(old_keys) >= 2

    add_keyword(path, "Sol", "terms", "nuevo producto")
    new = load_config(path)

    assert describe_keyword_changes(old, new) == ["brand 'Sol': +term \"nuevo producto\""]
    new_keys = [q.key for q in build_queries(new, "twitter")]
    # untouched queries keep their cursors; only the one that now holds the term starts fresh
    assert new_keys[: len(old_keys) - 1] == old_keys[:-1]
    assert len(set(new_keys) - set(old_keys)) == 1
    assert BrandMatcher.from_config(old).match("un NUEVO producto", source="reddit") is None
    assert BrandMatcher.from_config(new).match("un NUEVO producto", source="reddit") is not None

    remove_keyword(path, "Sol", "exclude", "crema solar")
    newer = load_config(path)
    assert describe_keyword_changes(new, newer) == ["brand 'Sol': -exclude \"crema solar\""]
    newer_keys = {q.key for q in build_queries(newer, "twitter")}
    assert not newer_keys & set(new_keys)  # every X query carried the exclusion


def test_describe_lists_every_kind_of_change() -> None:
    old = make_config(
        {"name": "Sol", "keywords": {"terms": ["tienda sol", "sol de verano"]}},
        {"name": "Viejo", "keywords": {"terms": ["viejo shop"]}},
    )
    new = make_config(
        {
            "name": "Sol",
            "accounts": {"twitter": ["tiendasol"]},
            "keywords": {
                "terms": ["tienda sol", "envío gratis"],
                "exclude": ["sol de verano"],
                "languages": ["es"],
                "overrides": {"reddit": {"exclude": ["girasol"], "languages": ["*"]}},
            },
        },
        {"name": "Nuevo", "keywords": {"terms": ["nuevo shop"], "hashtags": ["Nuevo"]}},
    )
    assert describe_keyword_changes(old, new) == [
        "brand 'Sol': +term \"envío gratis\", -term \"sol de verano\", "
        "+exclude \"sol de verano\", languages es,en,pt -> es, "
        "+overrides.reddit.exclude \"girasol\", overrides.reddit.languages inherited -> ['*'], "
        "+account.twitter \"tiendasol\"",
        "brand 'Nuevo' added (2 keywords)",
        "brand 'Viejo' removed",
    ]
    assert describe_keyword_changes(new, new) == []


def test_describe_names_changed_accounts_on_every_platform() -> None:
    """The brand's own accounts decide what is a mention on all five sources, so a reload
    that changes any of them (Instagram ids, Bluesky handles included) says so."""
    old = make_config({"name": "Sol", "keywords": {"terms": ["tienda sol"]},
                       "accounts": {"instagram": ["17841400000000001"]}})
    new = make_config({"name": "Sol", "keywords": {"terms": ["tienda sol"]},
                       "accounts": {"instagram": ["17841400000000002"],
                                    "bluesky": ["tiendasol.bsky.social"],
                                    "twitter_ids": ["1001"]}})
    assert describe_keyword_changes(old, new) == [
        "brand 'Sol': +account.twitter_id \"1001\", "
        "+account.instagram \"17841400000000002\", -account.instagram \"17841400000000001\", "
        "+account.bluesky \"tiendasol.bsky.social\"",
    ]
