"""Customer text must never ping, link or break a Slack message, and cuts must be clean."""

from __future__ import annotations

import pytest

from alerts.escape import (
    escape_mrkdwn,
    safe_cut,
    slack_link,
    slack_url,
    truncate,
)


@pytest.mark.parametrize(("raw", "escaped"), [
    ("<!channel> hola", "&lt;!channel&gt; hola"),
    ("<!here>", "&lt;!here&gt;"),
    ("<!everyone>", "&lt;!everyone&gt;"),
    ("hey <@U123>", "hey &lt;@U123&gt;"),
    ("<!subteam^S123|@oncall>", "&lt;!subteam^S123|@oncall&gt;"),
    ("<https://evil.example|your bank>", "&lt;https://evil.example|your bank&gt;"),
    ("Tom & Jerry", "Tom &amp; Jerry"),
    ("&lt;!channel&gt;", "&amp;lt;!channel&amp;gt;"),  # shows literally, never decodes to <!
    ("5 > 3 < 4", "5 &gt; 3 &lt; 4"),
])
def test_injection_cases_are_disarmed(raw: str, escaped: str) -> None:
    assert escape_mrkdwn(raw) == escaped
    assert "<" not in escape_mrkdwn(raw)


def test_bare_broadcasts_get_a_word_joiner() -> None:
    out = escape_mrkdwn("@here @channel @everyone @hereford")
    assert "@here " not in out and "@channel" not in out and "@everyone" not in out
    assert "@hereford" in out
    assert out.replace("\u2060", "") == "@here @channel @everyone @hereford"


def test_emoji_and_accents_untouched() -> None:
    text = "¡Qué pasó! 👨‍👩‍👧 🇦🇷 ñandú ❤️"
    assert escape_mrkdwn(text) == text


def test_escaping_twice_is_visible_not_dangerous() -> None:
    once = escape_mrkdwn("<!here>")
    assert escape_mrkdwn(once) == "&amp;lt;!here&amp;gt;"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://x.com/a/status/1", "https://x.com/a/status/1"),
    ("https://x.com/a?b=1&c=2", "https://x.com/a?b=1&amp;c=2"),
    ("https://evil.example/|your bank", "https://evil.example/%7Cyour%20bank"),
    ("https://e.example/a>b<c", "https://e.example/a%3Eb%3Cc"),
    ("https://e.example/ñ", "https://e.example/%C3%B1"),
])
def test_urls_cannot_break_out_of_link_syntax(url: str, expected: str) -> None:
    assert slack_url(url) == expected


@pytest.mark.parametrize("url", ["javascript:alert(1)", "slack://channel", "", "not a url"])
def test_non_http_urls_are_not_linked(url: str) -> None:
    assert slack_url(url) is None
    assert slack_link(url, "open <!here>") == "open &lt;!here&gt;"


def test_slack_link_escapes_label() -> None:
    assert slack_link("https://a.example/x|y", "<!channel>") == (
        "<https://a.example/x%7Cy|&lt;!channel&gt;>")


def test_truncate_leaves_short_text() -> None:
    assert truncate("hola", 10, "https://a.example") == "hola"


def test_truncate_appends_link_and_respects_limit() -> None:
    text = "palabra " * 100
    out = truncate(text, 120, "https://x.com/a/status/1")
    assert len(out) <= 120
    assert out.endswith("… (ver original: <https://x.com/a/status/1>)")
    assert "palabra" in out and not out.split("…")[0].endswith("palab")


def test_truncate_without_url_uses_ellipsis() -> None:
    out = truncate("a" * 50, 10, None)
    assert out == "a" * 9 + "…"


def test_truncate_never_cuts_an_entity() -> None:
    text = escape_mrkdwn("x" * 8 + "<!channel>" + "y" * 50)
    for limit in range(5, 30):
        out = truncate(text, limit)
        assert len(out) <= limit
        head = out.removesuffix("…")
        last_amp = head.rfind("&")
        assert last_amp == -1 or ";" in head[last_amp:], (limit, out)


@pytest.mark.parametrize("emoji", ["👨‍👩‍👧‍👦", "👍🏽", "🇦🇷", "❤️", "1️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "é"])
def test_truncate_never_splits_emoji_or_accents(emoji: str) -> None:
    text = ("ab " + emoji) * 40
    for limit in range(4, 60):
        out = truncate(text, limit)
        assert len(out.encode("utf-16-le")) // 2 <= limit
        head = out.removesuffix("…").rstrip()
        # the kept text is whole graphemes: it re-splits into complete copies of the unit
        assert head.count(emoji) * len(emoji) + head.count("ab") * 2 + head.count(" ") == len(
            head), (emoji, limit, head)


def test_truncate_counts_utf16_units_like_slack_might() -> None:
    out = truncate("😀" * 100, 21)
    assert len(out.encode("utf-16-le")) // 2 <= 21
    assert out == "😀" * 10 + "…"


def test_truncate_handles_regional_indicator_pairs() -> None:
    flags = "🇪🇸🇲🇽🇦🇷🇨🇱"
    for index in range(len(flags) + 1):
        cut = safe_cut(flags, index)
        assert cut % 2 == 0


def test_safe_cut_does_not_split_links() -> None:
    text = "see <https://a.example/x|here> now"
    assert safe_cut(text, 12) == 4


def test_truncate_tiny_limit() -> None:
    assert truncate("abcdef", 1) == "…"
    assert truncate("abcdef", 0) == ""
