"""Text clean-up shared by training and inference, so both see exactly the same strings.

Two levels exist because the two model families want different things:

* `mask_handles_and_urls` is the minimal Cardiff NLP preprocessing (`@user`, `http`). The XLM-T
  models were trained on it, and UMSAB is distributed with it, so every model gets it.
* `normalise_for_features` goes further for the bundled hashing model, which cannot learn that
  "Pésimo", "pesimo" and "PÉSIMOOOO" are the same word from 15k tweets alone.
"""

from __future__ import annotations

import html
import re
import unicodedata

_HANDLE = re.compile(r"(?<!\w)@\w+")
_URL = re.compile(r"(?:https?://|www\.)\S+|(?<!\w)http\b", re.IGNORECASE)
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_REPEAT = re.compile(r"(.)\1{3,}")
_SPACE = re.compile(r"\s+")

# Emoticons carry strong polarity in tweets, but a word tokeniser splits them into punctuation.
# Each one is replaced by a pseudo-word that the word features can learn from.
_EMOTICONS: dict[str, str] = {
    ":)": " emopos ", ":-)": " emopos ", ":d": " emopos ", ":-d": " emopos ", ";)": " emopos ",
    ";-)": " emopos ", ":p": " emopos ", "xd": " emopos ", "(:": " emopos ", "=)": " emopos ",
    "<3": " emolove ", ":(": " emoneg ", ":-(": " emoneg ", ":'(": " emoneg ", "):": " emoneg ",
    ":/": " emoneg ", ":-/": " emoneg ", "=(": " emoneg ", "d:": " emoneg ",
}
_EMOTICON_RE = re.compile(
    r"(?<![\w/])(" + "|".join(re.escape(e) for e in sorted(_EMOTICONS, key=len, reverse=True))
    + r")(?![\w/])"
)


def decode_escapes(text: str) -> str:
    """Turn literal `\\u2019`-style escapes (SemEval export artefacts) into the characters."""
    if "\\u" not in text:
        return text
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


def mask_handles_and_urls(text: str) -> str:
    """Cardiff NLP's preprocessing: any `@handle` becomes `@user`, any link becomes `http`."""
    text = _HANDLE.sub("@user", text)
    return _URL.sub("http", text)


def clean_for_model(text: str) -> str:
    """What every model sees: decoded escapes and entities, masked handles and links.

    A lone surrogate (half an emoji, as some APIs send) becomes "?": native code downstream
    (lingua, the encoders) cannot encode it, and one such comment must not fail its page."""
    text = html.unescape(decode_escapes(text)).replace('""', '"')
    text = text.encode("utf-8", "replace").decode("utf-8")
    return _SPACE.sub(" ", mask_handles_and_urls(text)).strip()


def strip_accents(text: str) -> str:
    """Remove combining marks ("pésimo" -> "pesimo") while keeping emoji and other scripts."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_for_features(text: str) -> str:
    """Lower-cased, accent-free, elongation-capped text with emoticons as pseudo-words."""
    text = clean_for_model(text).casefold()
    text = strip_accents(text)
    text = _REPEAT.sub(r"\1\1\1", text)
    if any(ch in text for ch in ":;=<()"):
        text = _EMOTICON_RE.sub(lambda m: _EMOTICONS[m.group(1)], text)
    return text
