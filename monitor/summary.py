"""Human-readable summaries of a cycle and of the database, for the terminal."""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from typing import Any

from monitor.pipeline import CycleReport

ELLIPSIS = "…"
SUGGESTION_BLOCK = "vigia_suggestion_"  # block_id prefix of a card's suggested replies


def clip(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word boundary and marked with an
    ellipsis: a suggested reply cut mid-word reads like a typo in the reply itself."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:  # a single very long word is cut where it must be
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + ELLIPSIS


def format_slack_messages(messages: list[tuple[str, bool, str, list[Any]]]) -> list[str]:
    """Lines for the Slack messages a sandbox run sent: (channel name, in a thread, text,
    blocks) each, with the first suggested reply of an alert card."""
    lines = [f"slack (sandbox emulator received {len(messages)} message(s))"]
    for channel, threaded, text, blocks in messages:
        first = text.splitlines()[0] if text else ""
        lines.append(f"  #{channel}{' (thread)' if threaded else ''}: {clip(first, 110)}")
        for block in blocks:  # the first suggested reply (its title is in the brand's language)
            if not isinstance(block, dict):
                continue
            body = str(block.get("text", {}).get("text", ""))
            if (str(block.get("block_id", "")).startswith(SUGGESTION_BLOCK)
                    or body.startswith("*Suggested reply 1*")) and "\n" in body:
                reply = body.split("\n", 1)[-1].strip().strip("`").strip()
                lines.append(f"      suggested reply: {clip(reply, 150)}")
                break
    return lines


def _fields(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if is_dataclass(obj) and not isinstance(obj, type):
        return asdict(obj)
    return dict(getattr(obj, "__dict__", {}))


def format_cycle(report: CycleReport) -> str:
    lines = ["collect"]
    if not report.collected:
        lines.append("  no source is enabled (sources.<name>.enabled in config.toml)")
    for c in report.collected:
        if c.status != "ok":
            lines.append(f"  {c.source:<9} {c.status.upper()}: {c.error}")
            continue
        extra = f", {c.reads} posts billed" if c.source == "twitter" else ""
        if c.backfill_reads:
            extra += (f" (first poll looked back {c.backfill_hours:g} h: {c.backfill_reads} "
                      f"posts read, about ${c.backfill_cost_usd:.2f})")
        lines.append(
            f"  {c.source:<9} {c.fetched} fetched in {c.pages} page(s) / {c.queries} "
            f"quer{'y' if c.queries == 1 else 'ies'}: {c.new_mentions} new mention(s), "
            f"{c.duplicates} already stored, {c.unmatched} not matching keywords, "
            f"{c.brand_replies} brand repl{'y' if c.brand_replies == 1 else 'ies'}, "
            f"{c.skipped} malformed skipped{extra}"
        )
    s = report.scored
    labels = ", ".join(f"{n} {label}" for label, n in sorted(s.labels.items())) or "nothing new"
    lines.append(f"score\n  {s.scored} mention(s) scored with {s.model}: {labels}")
    esc = _fields(report.escalation)
    if esc:
        lines.append("escalate\n  " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in
                                                  esc.items() if isinstance(v, int)))
    dl = _fields(report.delivery)
    if dl:
        lines.append("deliver\n  " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in
                                                 dl.items() if isinstance(v, int)))
    if report.digests:
        lines.append("digest")
    for d in report.digests:
        f = _fields(d)
        where = f" -> report {f['report_path']}" if f.get("report_path") else ""
        error = f" ({f['error']})" if f.get("error") else ""
        lines.append(f"  {f.get('brand')} {f.get('week')}: {f.get('status')}{error}{where}")
    for err in report.errors:
        lines.append(f"error\n  {err}")
    return "\n".join(lines)
