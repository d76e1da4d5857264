"""The digest in Slack: a Block Kit summary (with its key in the message metadata) and the
chart plus HTML report uploaded into its thread with files_upload_v2."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from slack_sdk import WebClient

from alerts.digest.model import Digest, MentionRef
from alerts.digest.report import coverage_note, generated_note, period, safe_url, snippet
from alerts.digest.text import Words
from alerts.slack_client import resolve_channel_id

EVENT_TYPE = "vigia_digest"
SLACK_TOP = 5
HISTORY_PAGES = 10


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    safe = safe_url(url)
    if safe is None:
        return ""
    return f" <{safe.replace('|', '%7C').replace('>', '%3E')}|{_esc(label)}>"


def _ref_line(ref: MentionRef, words: Words, tz: str) -> str:
    reach = f"{words.number(ref.reach)} {words.reach} · " if ref.reach else ""
    return (f"• “{_esc(snippet(ref.text, 110))}” — {_esc(ref.author)} · "
            f"{reach}{ref.source} · "
            f"{words.moment(ref.created_at, tz)}"
            f"{_link(ref.url, words.link)}")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _fields(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "section",
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in pairs[:10]]}


def headline(digest: Digest) -> str:
    w = Words(digest.language)
    return f"{digest.brand} · {w.title} {digest.week}"


def summary_message(
    digest: Digest, report_name: str | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of the weekly summary."""
    w = Words(digest.language)
    tz = digest.timezone
    r = digest.responses
    t = digest.trend
    sr = digest.slack_replies
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": headline(digest)[:150]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text":
            f"{period(digest)} · {tz}"}]},
    ]
    note = coverage_note(digest)
    if note:
        blocks.append(_section(f"⚠️ *{_esc(note)}*"))
    if digest.empty:
        blocks.append(_section(f"*{_esc(w.empty.format(brand=digest.brand))}*"))
    if t.net_change_vs_previous is not None:
        trend = (f"{w.change(t.net_change_vs_previous)} {w.vs_previous}\n"
                 f"{w.change(t.net_change_vs_avg4)} {w.vs_avg4}")
    else:
        trend = w.too_few
    sla = w.within.format(target=w.minutes(r.target_minutes))
    if r.sla_clock == "business_hours":
        sla += f" {w.business_hours}"
    blocks.append(_fields([
        (w.mentions, f"{w.number(digest.total)} ({w.vs_previous}: "
                     f"{w.number(t.previous.tally.total)})\n"
                     f"{w.avg4}: {w.number(round(t.volume_avg4))}"),
        (w.net, f"{w.points(digest.tally.net)}\n{trend}"),
        (f"{w.positive} · {w.neutral} · {w.negative}",
         " · ".join(w.share(digest.tally.share(k)) for k in ("positive", "neutral", "negative"))),
        (w.answered, f"{w.share(r.answered)} ({r.complaints} {w.complaints_n})"),
        (f"{w.median} · P90", f"{w.minutes(r.median_minutes)} · {w.minutes(r.p90_minutes)}"),
        (sla, w.share(r.within_target)),
        (w.open, str(r.open_unanswered)),
        (w.crises, str(len(digest.crises))),
        *([(w.slack_replies, f"{sr.sent} ({w.median_short} {w.minutes(sr.median_minutes)} · "
                             f"P90 {w.minutes(sr.p90_minutes)})")]
          if sr.shown else []),
        *([(w.questions_open, f"{digest.questions.open_unanswered} {w.of} "
                              f"{digest.questions.total}")]
          if digest.questions.track != "off" else []),
    ]))
    if digest.complaints:
        lines = [f"• *{w.situation_name(c.situation)}*: {c.count} ({w.share(c.share)}) — "
                 f"“{_esc(snippet(c.example.text, 90))}”{_link(c.example.url, w.link)}"
                 for c in digest.complaints]
        blocks.append(_section(f"*{w.complaints}*\n" + "\n".join(lines)))
    for title, refs in ((w.top_negative, digest.top_negative),
                        (w.top_positive, digest.top_positive)):
        if refs:
            lines = [_ref_line(ref, w, tz) for ref in refs[:SLACK_TOP]]
            blocks.append(_section(f"*{title}*\n" + "\n".join(lines)))
    notes = []
    if digest.corrections.total:
        per_lang = ", ".join(
            f"{lc.lang}: {w.corrected_of.format(part=lc.scored.part, whole=lc.scored.whole)}"
            for lc in digest.corrections.by_lang)
        notes.append(f"{w.corrections}: {per_lang}")
    notes.append(w.small_note)
    notes.append(generated_note(digest))
    if report_name:
        notes.append(f"{w.report_file}: {_esc(report_name)}")
    blocks.append({"type": "context",
                   "elements": [{"type": "mrkdwn", "text": n[:3000]} for n in notes[:10]]})
    fallback = (f"{headline(digest)}: {w.mentions.lower()} {digest.total}, "
                f"{w.net.lower()} {w.points(digest.tally.net)}, "
                f"{w.answered.lower()} {w.share(r.answered)}")
    return fallback, blocks


def metadata(key: str, digest: Digest) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE,
            "event_payload": {"key": key, "brand": digest.brand, "week": digest.week}}


def post_summary(
    client: WebClient, channel: str, digest: Digest, key: str, report_name: str | None = None
) -> tuple[str, str]:
    """Post the summary; returns (channel id, ts)."""
    text, blocks = summary_message(digest, report_name)
    response = client.chat_postMessage(channel=channel, text=text, blocks=blocks,
                                       metadata=metadata(key, digest),
                                       unfurl_links=False, unfurl_media=False)
    return str(response["channel"]), str(response["ts"])


def upload_files(
    client: WebClient, channel_id: str, thread_ts: str, comment: str,
    files: list[tuple[str, bytes, str]],
) -> list[str]:
    """files_upload_v2 of (filename, bytes, title) into the summary's thread; file ids."""
    response = client.files_upload_v2(
        file_uploads=[{"filename": name, "content": data, "title": title}
                      for name, data, title in files],
        channel=channel_id, thread_ts=thread_ts, initial_comment=comment,
    )
    return [str(f["id"]) for f in response.get("files") or []]


def _history(client: WebClient, channel: str, oldest: datetime) -> Iterator[dict[str, Any]]:
    cursor = None
    for _ in range(HISTORY_PAGES):
        response = client.conversations_history(
            channel=channel, oldest=f"{oldest.timestamp():.6f}", limit=200,
            include_all_metadata=True, cursor=cursor,
        )
        yield from response.get("messages") or []
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not response.get("has_more") or not cursor:
            return


def find_summary(client: WebClient, channel: str, key: str, oldest: datetime) -> str | None:
    """ts of the summary carrying `key` in its metadata, posted since `oldest`, if any."""
    channel = resolve_channel_id(client, channel) or channel  # history wants the channel id
    for message in _history(client, channel, oldest):
        meta = message.get("metadata") or {}
        if meta.get("event_type") == EVENT_TYPE and \
                (meta.get("event_payload") or {}).get("key") == key:
            return str(message["ts"])
    return None


def thread_has_upload(client: WebClient, channel_id: str, ts: str, comment: str) -> bool:
    """Whether the summary's thread already holds our upload (files, or its comment)."""
    response = client.conversations_replies(channel=channel_id, ts=ts, limit=200)
    return any(m.get("ts") != ts and (m.get("files") or m.get("text") == comment)
               for m in response.get("messages") or [])
