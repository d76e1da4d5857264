"""Making customer text safe to show in Slack mrkdwn, and short enough for Slack's limits.

Everything a stranger wrote (post text, display names, handles, URLs) reaches Slack through
these functions. Slack parses `<...>` as control sequences: `<!channel>` pings a whole channel,
`<@U123>` a person, `<!subteam^S1>` a user group and `<https://evil|your bank>` disguises a
link. Escaping `&`, `<` and `>` (the three characters Slack asks to escape) disarms all of
them. Bare `@here`/`@channel`/`@everyone` are only parsed when a message is sent with
`link_names`, which Vigía never sets; they still get a word joiner after the `@` so that a
future change of that flag cannot turn a customer's post into a ping.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

# Slack's documented limits (characters) that the builders respect.
SECTION_TEXT_LIMIT = 3000
HEADER_LIMIT = 150
CONTEXT_ELEMENT_LIMIT = 2000
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
MAX_BLOCKS = 50
FALLBACK_TEXT_LIMIT = 3000  # Slack allows 40,000; notifications only need a line

WORD_JOINER = "\u2060"
_BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_ENTITY_TAIL = re.compile(r"&[#a-zA-Z0-9]{0,8}$")
_ZWJ = "\u200d"


def escape_mrkdwn(text: str) -> str:
    """Escape `&`, `<`, `>` so user text can never mention, link or format-break in Slack.

    `&` goes first so an already-escaped-looking `&lt;` shows literally as "&lt;" rather
    than being decoded into a live `<`. Emoji and other characters are left alone.
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@" + WORD_JOINER + m.group(1), escaped)


def slack_url(url: str) -> str | None:
    """The URL made safe inside Slack's `<url|label>` syntax, or None when it is not http(s).

    `|` would end the URL and start an attacker-chosen label, `>` would close the link early
    and `<`/spaces would break it: they are percent-encoded, which keeps the link working.
    """
    candidate = url.strip()
    try:
        scheme = urlsplit(candidate).scheme.lower()
    except ValueError:
        return None
    if scheme not in ("http", "https"):
        return None
    # `&` stays (query strings need it) and becomes &amp;; <, >, |, spaces, quotes are encoded
    safe = quote(candidate, safe="/:?#[]@!$&'()*+,;=%~-._")
    return safe.replace("&", "&amp;")


def slack_link(url: str, label: str) -> str:
    """`<url|label>` with both parts escaped; plain escaped label when the URL is unusable."""
    safe = slack_url(url)
    shown = escape_mrkdwn(label)
    return f"<{safe}|{shown}>" if safe else shown


def _is_extender(ch: str) -> bool:
    """Characters that belong to the grapheme before them (never cut just before one)."""
    code = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or ch == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
        or code == 0x20E3  # keycap
        or 0xDC00 <= code <= 0xDFFF  # low surrogate of a stray pair
    )


def _is_regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def safe_cut(text: str, index: int) -> int:
    """The largest cut position <= index that splits no grapheme, entity or `<...>` link."""
    index = max(0, min(index, len(text)))
    while 0 < index < len(text) and (
        _is_extender(text[index]) or text[index - 1] == _ZWJ
        or 0xD800 <= ord(text[index - 1]) <= 0xDBFF
    ):
        index -= 1
    if 0 < index < len(text) and _is_regional(text[index]):
        run = 0
        while index - run - 1 >= 0 and _is_regional(text[index - run - 1]):
            run += 1
        if run % 2:  # text[index] is the second half of a flag
            index -= 1
    head = text[:index]
    entity = _ENTITY_TAIL.search(head)
    if entity:
        index = entity.start()
    opened, closed = head.rfind("<"), head.rfind(">")
    if opened > closed:
        index = min(index, opened)
    return index


def _length(text: str) -> int:
    """Length in UTF-16 code units, never less than what Slack counts."""
    return len(text.encode("utf-16-le")) // 2


def truncate(text: str, limit: int, more_url: str | None = None,
             more_label: str = "ver original") -> str:
    """`text` (already escaped mrkdwn) cut to at most `limit` characters, cleanly.

    The cut never lands inside an `&amp;`-style entity, a `<link>`, a surrogate pair, a
    ZWJ emoji sequence, a flag or before a combining accent; it backs off to a space when one
    is near so words stay whole. When cut, "…" is appended plus, when `more_url` is given,
    "(ver original: <url>)" so the reader can open the full post.
    """
    if _length(text) <= limit:
        return text
    safe = slack_url(more_url) if more_url else None
    suffix = f"… ({escape_mrkdwn(more_label)}: <{safe}>)" if safe else "…"
    if _length(suffix) >= limit:
        suffix = "…"
    budget = limit - _length(suffix)
    if budget <= 0:
        return "…" if limit >= 1 else ""
    # code points can be 2 UTF-16 units: shrink until the head fits
    index = min(len(text), budget)
    while index > 0 and _length(text[:index]) > budget:
        index -= 1
    index = safe_cut(text, index)
    space = text.rfind(" ", 0, index)
    if space > 0 and index - space <= 20:
        index = space
    return text[:index].rstrip() + suffix


def fallback_text(text: str, limit: int = FALLBACK_TEXT_LIMIT) -> str:
    """A notification line (the message `text`) within Slack's and our own limits."""
    return truncate(text, limit)
