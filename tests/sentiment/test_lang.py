"""Platform language tags and offline detection restricted to a brand's languages."""

from __future__ import annotations

import pytest

from sentiment.lang import detect_language, normalise_lang


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("es", "es"), ("es-ES", "es"), ("ES_mx", "es"), ("pt_BR", "pt"), ("pt-br", "pt"),
        ("en", "en"), ("spa", "es"), ("por", "pt"), (" fr ", "fr"),
        ("und", None), ("qme", None), ("qht", None), ("zxx", None), ("", None), (None, None),
        ("x-klingon", None), ("123", None),
    ],
)
def test_normalise_lang(tag: str | None, expected: str | None) -> None:
    assert normalise_lang(tag) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pésimo servicio, mi pedido nunca llegó y nadie responde", "es"),
        ("Produto chegou quebrado e ninguém responde", "pt"),
        ("Worst customer service ever, still no refund", "en"),
    ],
)
def test_detects_among_allowed_languages(text: str, expected: str) -> None:
    assert detect_language(text, ["es", "en", "pt"]) == expected


def test_detection_is_restricted_to_allowed_set() -> None:
    german = "Die Lieferung ist schon wieder zu spät und niemand antwortet"
    assert detect_language(german, ["de", "en"]) == "de"
    assert detect_language(german, ["es", "pt", "en"]) in (None, "es", "pt", "en")
    assert detect_language(german, ["es", "pt", "en"]) != "de"


def test_no_signal_gives_none() -> None:
    assert detect_language("😡😡😡 @acme http://t.co/x", ["es", "en"]) is None
    assert detect_language("", ["es", "en"]) is None
    assert detect_language("hola que tal", []) is None
    assert detect_language("hola que tal", ["und", "xx"]) is None


def test_low_confidence_gives_none() -> None:
    # Two letters are ambiguous between close languages; an impossible threshold forces None.
    assert detect_language("Pedido llegó", ["es", "pt"], min_confidence=1.01) is None


def test_a_lone_surrogate_does_not_break_detection_or_scoring() -> None:
    """Half an emoji (a lone UTF-16 surrogate) arrives in some API payloads; lingua and the
    encoders are native code that cannot encode it, and one comment must not fail a page."""
    from sentiment.bundled import fast_scorer

    text = "mi pedido no llegó \ud83d y nadie contesta \\ud83d"
    assert detect_language(text, ["es", "en", "pt"]) == "es"
    (score,) = fast_scorer().score([text], ["es"])
    assert score.category == "complaint"
