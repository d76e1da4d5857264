"""Text folding shared by everything that compares keywords with text.

Everything goes through `fold()`, so "Envío", "ENVIO" and "envio" are the same word everywhere:
in the local matcher, in duplicate checks when editing, and in the reload diff.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Words that alone would match almost every post in our languages (es, en, pt).
_STOPWORDS = """
a al an and are as at be by con de del do das dos e el em en es for from i in is it la las lo los
me mi my na no nao not o of on or os ou para por que se su the this that to um uma un una y you with
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORDS.split())

_WORD_SPLIT = re.compile(r"\W+")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def fold(text: str) -> str:
    """Case- and accent-insensitive form: NFKD, casefold, combining marks dropped ("Envío"→"envio").

    Done per character so that `fold_with_offsets` can map matches back to the original text.
    """
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) for c in text)


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`fold(text)` plus, for each folded character, the index of the original one it came from.

    The list has one extra entry (len(text)) so that an end offset maps too.
    """
    if text.isascii():
        return text.lower(), list(range(len(text) + 1))
    out: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char)
        out.append(folded)
        offsets.extend([index] * len(folded))
    offsets.append(len(text))
    return "".join(out), offsets


def words(value: str) -> list[str]:
    """Folded words of a keyword: spaces, punctuation and hyphens separate words.

    An underscore does not: it is part of handles ("tienda_sol" is one token for X too).
    """
    return [w for w in _WORD_SPLIT.split(fold(value)) if w]
