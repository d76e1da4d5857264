"""Compiled X queries against the X search emulator: X must accept them and return a superset.

The local matcher is the definition of a mention; the server-side query only narrows the
download. A post the matcher accepts but no compiled query returns would be silently lost.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.keywords import BrandMatcher
from sources.twitter_query import compile_twitter_queries
from tests.keywords.keyword_helpers import make_config

search = pytest.importorskip("monitor.sandbox.twitter_search")
world = pytest.importorskip("monitor.sandbox.world")

CONFIG = make_config(
    {
        "name": "Sol",
        "languages": ["es", "en"],
        "accounts": {"twitter": ["tiendasol"]},
        "keywords": {
            "terms": ["Tienda Sol", "envío", *(f"producto {i} de tienda sol" for i in range(40))],
            "phrases": ["sin stock"],
            "hashtags": ["SolDeals"],
            "handles": ["tiendasol"],
            "exclude": ["crema solar", "#sorteo"],
            "exclude_authors": ["spam_bot"],
        },
    }
)
TEXTS = [
    "Mi envio no llega",
    "TIENDA SOL!!",
    "#TiendaSol me estafó",
    "compré en tienda-sol",
    "hola @tiendasol ayuda",
    "fan account @tienda_sol",
    "tienda 🌞 sol",
    "producto SIN STOCK",
    "ofertas #SolDeals",
    "el producto 39 de tienda sol llegó roto",
    "crema solar de tienda sol",
    "#sorteo tienda sol",
    "la solución",
    "girasol",
]


def _post(text: str, author: str = "cliente", lang: str | None = "es") -> object:
    return world.WorldPost(
        platform="twitter", id="1", author_id="9", author_handle=author, author_name=author,
        text=text, created_at=datetime(2025, 1, 1, tzinfo=UTC), lang=lang,
    )


@pytest.fixture(scope="module")
def predicates() -> list[object]:
    queries = compile_twitter_queries(CONFIG.brands[0])
    assert len(queries) > 1
    return [search.compile_query(q) for q in queries]  # raises QueryError if X would refuse


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize(("author", "lang"), [("cliente", "es"), ("tiendasol", "es"),
                                               ("spam_bot", "es"), ("cliente", "fr"),
                                               ("cliente", None)])
def test_x_returns_everything_the_matcher_accepts(
    predicates: list[object], text: str, author: str, lang: str | None
) -> None:
    matcher = BrandMatcher.from_config(CONFIG)
    accepted = matcher.match(text, source="twitter", author_handle=author, lang=lang) is not None
    returned = any(p(_post(text, author, lang)) for p in predicates)  # type: ignore[operator]
    # never less (a lost mention); here not more either: exclusions, authors, languages agree
    assert returned == accepted
