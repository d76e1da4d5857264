"""Renderers: standalone HTML (chart inlined), Markdown, JSON and the week's mentions as CSV."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from alerts.digest.chart import HEIGHT_PX, WIDTH_PX
from alerts.digest.compute import Detector
from alerts.digest.model import Digest, Share, Tally
from alerts.digest.text import Words
from monitor.storage.digests import DigestMention

SNIPPET_CHARS = 220
_SPACE = re.compile(r"\s+")
_env = Environment(
    loader=PackageLoader("alerts.digest", "templates"),
    autoescape=select_autoescape(["html", "j2"], default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def safe_url(url: str) -> str | None:
    """Only web links are rendered as links (never javascript: or data: from a post)."""
    return url if url.startswith(("https://", "http://")) else None


def period(digest: Digest) -> str:
    """"16–22 nov 2026": the week's local dates with the month."""
    words = Words(digest.language)
    first = digest.start.astimezone(ZoneInfo(digest.timezone)).date()
    last = digest.days[-1].day if digest.days else first
    return words.date_range(first, last)


def coverage_note(digest: Digest) -> str | None:
    """"Semana parcial: …" when the figures do not cover the whole week, else None."""
    words = Words(digest.language)
    cover = digest.coverage
    parts = []
    if cover.started is not None:
        parts.append(words.partial_started.format(
            since=words.full_moment(cover.started, digest.timezone)))
    if cover.until is not None:
        parts.append(words.partial_running.format(
            until=words.full_moment(cover.until, digest.timezone)))
    return f"{words.partial}: {'; '.join(parts)}." if parts else None


def generated_note(digest: Digest) -> str:
    """The footer's provenance line, for people (no internal keys)."""
    words = Words(digest.language)
    if digest.as_of is None:
        return "Vigía"
    return words.generated.format(when=words.full_moment(digest.as_of, digest.timezone),
                                  tz=digest.timezone)


def _context(digest: Digest) -> dict[str, Any]:
    words = Words(digest.language)
    return {
        "d": digest,
        "w": words,
        "period": period(digest),
        "coverage_note": coverage_note(digest),
        "generated": generated_note(digest),
        "chart_width": WIDTH_PX,
        "chart_height": HEIGHT_PX,
        "snippet": snippet,
        "safe_url": safe_url,
        "when": lambda value: words.moment(value, digest.timezone),
        "share_of": lambda count: Share(count, digest.total),
    }


def render_html(digest: Digest, chart_png: bytes | None = None, csv_name: str | None = None) -> str:
    """A standalone HTML5 page: inline CSS, the chart as a data: URI, readable on a phone."""
    chart = base64.b64encode(chart_png).decode("ascii") if chart_png else None
    template = _env.get_template("digest.html.j2")
    return template.render(**_context(digest), chart_b64=chart, csv_name=csv_name)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def _md(text: str) -> str:
    """User text made inert in Markdown: punctuation escaped, HTML tags shown as text."""
    escaped = _MD_SPECIAL.sub(r"\\\1", text)
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(digest: Digest, chart_name: str | None = None) -> str:
    """The same content as the HTML page, as Markdown tables and lists."""
    env = _env.overlay(autoescape=False)
    env.filters["md"] = _md
    template = env.get_template("digest.md.j2")
    return template.render(**_context(digest), chart_name=chart_name)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Tally):
        return {**{f.name: getattr(value, f.name) for f in fields(value)},
                "scored": value.scored, "total": value.total, "net": value.net}
    if isinstance(value, Share):
        return {"part": value.part, "whole": value.whole, "ratio": value.ratio,
                "small": value.small}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def digest_dict(digest: Digest) -> dict[str, Any]:
    """Every figure as JSON-ready data (derived values such as `net` and `ratio` included)."""
    data: dict[str, Any] = _jsonable(digest)
    data["key"] = digest.key
    data["empty"] = digest.empty
    return data


def render_json(digest: Digest) -> str:
    return json.dumps(digest_dict(digest), ensure_ascii=False, indent=2) + "\n"


CSV_COLUMNS = (
    "created_local", "created_utc", "source", "lang", "author", "author_reach", "label",
    "model_label", "confidence", "situation", "answered_at_utc", "first_response_minutes",
    "slack_reply_by", "url", "text",
)


def _cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in user text (=, +, -, @ at the start)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def render_csv(
    mentions: Sequence[DigestMention], timezone: str, detect: Detector | None = None
) -> str:
    """The week's mentions, one row each, for a spreadsheet (prefix with a BOM when saving).

    `situation` is the stored one, else the detector's for negative mentions, else empty;
    `slack_reply_by` names who answered it from Slack (the first reply sent from there).
    """
    tz = ZoneInfo(timezone)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for m in mentions:
        situation = m.situation
        if situation is None and detect is not None and m.label == "negative":
            situation = detect(m.text, m.lang)
        minutes = (None if m.answered_at is None
                   else round(max(0.0, (m.answered_at - m.created_at).total_seconds() / 60), 1))
        row = [
            m.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            m.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            m.source, m.lang or "", m.author_handle or m.author_name, m.author_reach,
            m.label or "", m.model_label or "",
            "" if m.confidence is None else round(m.confidence, 3),
            situation or "",
            "" if m.answered_at is None else m.answered_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "" if minutes is None else minutes,
            m.slack_reply_by or "",
            m.url, m.text,
        ]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
