"""Language codes in the config: ISO 639-1 only, refused with a suggestion otherwise.

A code is sent to X as `lang:<code>` and compared with the language platforms and our detector
give each post (two-letter ISO 639-1 codes, no region). Anything else ("spanish", "spa",
"es-MX") would compile to a filter that matches nothing, silently, so it is refused.
"""

from __future__ import annotations

_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
"""
ISO_639_1: frozenset[str] = frozenset(_CODES.split())

# What people write instead of a code, in the languages of our users.
_NAMES = {
    "es": "spanish español espanol castellano spa",
    "en": "english inglés ingles eng",
    "pt": "portuguese português portugues portugués por",
    "fr": "french français francais francés frances fra fre",
    "de": "german deutsch alemán aleman deu ger",
    "it": "italian italiano ita",
    "ca": "catalan català catalán cat",
    "eu": "basque euskera eus baq",
    "gl": "galician galego gallego glg",
    "nl": "dutch nederlands neerlandés nld dut",
}
_SUGGEST = {name: code for code, names in _NAMES.items() for name in names.split()}


def _suggestion(value: str) -> str:
    guess = _SUGGEST.get(value)
    if guess is None:
        base = value.replace("_", "-").split("-")[0]
        guess = base if base in ISO_639_1 and base != value else _SUGGEST.get(base)
    return f" (did you mean {guess!r}?)" if guess else ""


def language_code(value: str, *, any_allowed: bool) -> str:
    """`value` lower-cased if it is an ISO 639-1 code (or '*' where `any_allowed`).

    Raises ValueError phrased to follow "expected ..." (see `monitor.keywords.definitions`).
    """
    code = value.strip().lower()
    if code in ISO_639_1 or (any_allowed and code == "*"):
        return code
    wanted = "an ISO 639-1 language code (two letters, such as 'es', 'en' or 'pt')"
    if any_allowed:
        wanted += ", or '*' for any language"
    elif code == "*":
        raise ValueError(f"{wanted}, got '*' (any language is set in keywords.languages)")
    raise ValueError(f"{wanted}, got {value!r}{_suggestion(code)}")
