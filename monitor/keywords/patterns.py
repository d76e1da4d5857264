"""Regexes (on folded text) for each kind of keyword: the one definition of "this keyword is here".

Used by the matcher, and by the keyword set's own validation to refuse an exclusion that
would exclude one of the brand's own keywords. Rules:
- Unicode word boundaries: "sol" does not match "solución" nor "sol_oficial";
- a term matches its joined forms ("tienda sol" ~ "tiendasol", "#TiendaSol"); an underscore
  joins words (as in X's tokeniser), so "@tienda_sol" is another word; a phrase never joins;
- a hashtag entry matches only "#tag"; a handle "@h" or "u/h".
"""

from __future__ import annotations

import re

from monitor.keywords.text import fold, words

_SEP = r"\W"
# Singular names of the positive kinds, as shown to users ("matched term 'sol'").
KIND_NAMES = {"terms": "term", "phrases": "phrase", "hashtags": "hashtag", "handles": "handle"}


def words_pattern(value: str, *, joinable: bool) -> str:
    """Regex for a keyword's words on word boundaries.

    `joinable` lets the words touch ("tienda sol" ~ "tiendasol"), for terms only.
    """
    sep = _SEP + ("*" if joinable else "+")
    return r"(?<!\w)" + sep.join(re.escape(w) for w in words(value)) + r"(?!\w)"


def hashtag_pattern(tag: str) -> str:
    """Regex for `#tag` only (not the bare word)."""
    return r"(?<!\w)#" + re.escape(fold(tag)) + r"(?!\w)"


def handle_pattern(handle: str) -> str:
    """Regex for `@handle` or `u/handle` (not an e-mail address)."""
    return r"(?<![\w@/])(?:@|/?u/)" + re.escape(fold(handle)) + r"(?![\w-])"


def positive_pattern(kind: str, value: str) -> str:
    """Regex for a stored value of one of the positive kinds (terms, phrases, hashtags, handles)."""
    if kind == "hashtags":
        return hashtag_pattern(value)
    if kind == "handles":
        return handle_pattern(value)
    return words_pattern(value, joinable=kind == "terms")


def exclusion_pattern(value: str) -> str:
    """Regex for a stored exclusion: a word/phrase, "#tag" or "@user"."""
    if value.startswith("#"):
        return hashtag_pattern(value[1:])
    if value.startswith("@"):
        return handle_pattern(value[1:])
    return words_pattern(value, joinable=False)


def written_form(kind: str, value: str) -> str:
    """How a post would most plainly write a positive keyword ("#TiendaSol", "@tiendasol")."""
    if kind == "hashtags":
        return f"#{value}"
    if kind == "handles":
        return f"@{value}"
    return value


def normalize_author(handle: str) -> str:
    """Handles compare without '@', 'u/' or case."""
    handle = handle.strip().lstrip("@")
    for prefix in ("/u/", "u/"):
        handle = handle.removeprefix(prefix)
    return fold(handle)
