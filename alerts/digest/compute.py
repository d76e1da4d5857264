"""Pure figures: plain records in, a `Digest` out. No database, no clock, no Slack."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.digest.model import (
    SMALL_N,
    Complaint,
    Corrections,
    Coverage,
    Crisis,
    Day,
    Digest,
    LangCorrections,
    MentionRef,
    PastWeek,
    Questions,
    Responses,
    Share,
    SlackReplies,
    Tally,
    Trend,
)
from alerts.digest.weeks import Week
from monitor.config import BusinessHours
from monitor.storage.digests import (
    DigestCorrection,
    DigestCrisis,
    DigestMention,
    DigestSlackReply,
)

Detector = Callable[[str, str | None], str]
TOP_N = 5
NOT_COMPLAINTS = frozenset({"praise", "unknown", "presale_question", "postsale_question"})
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Target:
    """The response-time target: minutes, counted always or only in business hours."""

    minutes: int
    clock: str = "always"  # always | business_hours
    hours: BusinessHours | None = None
    timezone: str = "UTC"


@dataclass(frozen=True)
class Decision:
    """The brand's reply-decision settings, so the digest counts what Slack alerts on."""

    threshold: float = 0.5  # P(complaint) at or above: a complaint
    question_threshold: float = 0.5  # P(question) at or above (and not a complaint): a question
    questions: str = "alert"  # alert | digest | off


def is_complaint(m: DigestMention, decision: Decision) -> bool:
    """The escalation rule (a Slack correction of the category wins over the model)."""
    if m.corrected_category is not None:
        return m.corrected_category == "complaint"
    return m.complaint is not None and m.complaint >= decision.threshold


def is_question(m: DigestMention, decision: Decision) -> bool:
    if m.corrected_category is not None:
        return m.corrected_category == "question"
    return (not is_complaint(m, decision) and m.question is not None
            and m.question >= decision.question_threshold)


def nearest_rank(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile: the ceil(p/100 * n)-th smallest value (1-based); None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def business_minutes(start: datetime, end: datetime, hours: BusinessHours, tz: ZoneInfo) -> float:
    """Minutes between two instants that fall inside business hours (local days and times)."""
    if end <= start:
        return 0.0
    total = 0.0
    day = start.astimezone(tz).date()
    last = end.astimezone(tz).date()
    while day <= last:
        if _WEEKDAYS[day.weekday()] in hours.days:
            open_at = datetime.combine(day, hours.start, tz)
            close_at = datetime.combine(day, hours.end, tz)
            overlap = min(end, close_at) - max(start, open_at)
            total += max(0.0, overlap.total_seconds() / 60)
        day += timedelta(days=1)
    return total


def _minutes_to_answer(m: DigestMention, target: Target) -> float | None:
    if m.answered_at is None:
        return None
    if target.clock == "business_hours" and target.hours is not None:
        return business_minutes(m.created_at, m.answered_at, target.hours,
                                ZoneInfo(target.timezone))
    return max(0.0, (m.answered_at - m.created_at).total_seconds() / 60)


def tally(labels: Iterable[str | None]) -> Tally:
    counts = Counter(label if label in ("positive", "neutral", "negative") else "unscored"
                     for label in labels)
    return Tally(counts["positive"], counts["neutral"], counts["negative"], counts["unscored"])


def tally_from_counts(counts: dict[str, int]) -> Tally:
    """From `label_counts` output (labels the model does not use count as unscored)."""
    known = ("positive", "neutral", "negative")
    return Tally(
        counts.get("positive", 0),
        counts.get("neutral", 0),
        counts.get("negative", 0),
        sum(v for k, v in counts.items() if k not in known),
    )


def _ref(m: DigestMention) -> MentionRef:
    return MentionRef(
        id=m.id,
        source=m.source,
        url=m.url,
        author=m.author_handle or m.author_name,
        reach=m.author_reach,
        text=m.text,
        created_at=m.created_at,
        label=m.label,
        lang=m.lang,
    )


def _by_reach(mentions: Iterable[DigestMention]) -> list[DigestMention]:
    return sorted(mentions, key=lambda m: (-m.author_reach, m.created_at, m.id))


def _ranked(counter: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def _change(now: Tally, then: Tally) -> float | None:
    if now.scored < SMALL_N or then.scored < SMALL_N or now.net is None or then.net is None:
        return None
    return now.net - then.net


def trend(current: Tally, history: Sequence[PastWeek]) -> Trend:
    """Compare with W-1 and the pooled W-1..W-4 (`history`, most recent first)."""
    avg4 = Tally(
        sum(w.tally.positive for w in history),
        sum(w.tally.neutral for w in history),
        sum(w.tally.negative for w in history),
        sum(w.tally.unscored for w in history),
    )
    return Trend(
        previous=history[0],
        history=tuple(history),
        avg4=avg4,
        volume_avg4=avg4.total / len(history),
        net_change_vs_previous=_change(current, history[0].tally),
        net_change_vs_avg4=_change(current, avg4),
    )


def complaints(
    found: Sequence[DigestMention], detect: Detector
) -> tuple[tuple[Complaint, ...], int]:
    """Complaints grouped by situation (stored one, else detected); and the unclassified."""
    groups: dict[str, list[DigestMention]] = {}
    unclassified = 0
    for m in found:
        situation = m.situation or detect(m.text, m.lang)
        if situation in NOT_COMPLAINTS:
            unclassified += 1
            continue
        groups.setdefault(situation, []).append(m)
    ranked = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:TOP_N]
    return (
        tuple(
            Complaint(name, len(items), Share(len(items), len(found)),
                      _ref(_by_reach(items)[0]))
            for name, items in ranked
        ),
        unclassified,
    )


def responses(found: Sequence[DigestMention], target: Target) -> Responses:
    """Response times of the week's complaints."""
    answered = [m for m in found if m.answered_at is not None]
    times = [max(0.0, (m.answered_at - m.created_at).total_seconds() / 60)
             for m in answered if m.answered_at is not None]
    within = sum(1 for m in answered
                 if (t := _minutes_to_answer(m, target)) is not None and t <= target.minutes)
    unanswered = [m for m in found if m.answered_at is None]
    still_open = [m for m in unanswered if m.case_closed_at is None]
    return Responses(
        complaints=len(found),
        answered=Share(len(answered), len(found)),
        median_minutes=nearest_rank(times, 50),
        p90_minutes=nearest_rank(times, 90),
        within_target=Share(within, len(found)),
        target_minutes=target.minutes,
        sla_clock=target.clock,
        open_unanswered=len(still_open),
        closed_without_reply=len(unanswered) - len(still_open),
        open_examples=tuple(_ref(m) for m in _by_reach(still_open)[:TOP_N]),
    )


def questions(found: Sequence[DigestMention], track: str) -> Questions:
    """The week's questions to the brand and those still without a public answer."""
    answered = [m for m in found if m.answered_at is not None]
    still_open = [m for m in found if m.answered_at is None and m.case_closed_at is None]
    return Questions(
        total=len(found),
        answered=Share(len(answered), len(found)),
        open_unanswered=len(still_open),
        open_examples=tuple(_ref(m) for m in _by_reach(still_open)[:TOP_N]),
        track=track,
    )


def slack_replies(sent: Sequence[DigestSlackReply], enabled: bool) -> SlackReplies:
    """How many replies the team sent from Slack this week, and how fast (nearest rank)."""
    times = [r.response_minutes for r in sent if r.response_minutes is not None]
    return SlackReplies(
        sent=len(sent),
        median_minutes=nearest_rank(times, 50),
        p90_minutes=nearest_rank(times, 90),
        by_source=_ranked(Counter(r.source for r in sent)),
        enabled=enabled,
    )


def coverage(week: Week, as_of: datetime | None, first_collected: datetime | None) -> Coverage:
    """A week still running (`as_of` before its end) or begun before Vigía collected."""
    until = as_of if as_of is not None and as_of < week.end else None
    started = (first_collected if first_collected is not None
               and week.start < first_collected < week.end else None)
    return Coverage(until, started)


def corrections(
    made: Sequence[DigestCorrection], mentions: Sequence[DigestMention]
) -> Corrections:
    """Corrections made this week, per language against this week's scored mentions.

    A mention corrected twice counts once (its language is the latest correction's).
    """
    latest: dict[int, DigestCorrection] = {c.mention_id: c for c in made}
    per_lang = Counter(c.lang or "unknown" for c in latest.values())
    scored = Counter((m.lang or "unknown") for m in mentions if m.model_label is not None)
    changes = Counter((c.old_label, c.new_label or "none") for c in made)
    return Corrections(
        total=len(latest),
        by_lang=tuple(
            LangCorrections(lang, n, Share(n, scored.get(lang, 0)))
            for lang, n in _ranked(per_lang)
        ),
        changes=tuple((old, new, n) for (old, new), n in
                      sorted(changes.items(), key=lambda kv: (-kv[1], kv[0]))),
    )


def _crisis(c: DigestCrisis) -> Crisis:
    summary = str(c.payload.get("summary") or c.payload.get("text") or "")
    return Crisis(c.id, c.created_at, c.state, c.situation, summary)


def compute_digest(
    *,
    brand: str,
    week: Week,
    mentions: Sequence[DigestMention],
    history: Sequence[PastWeek],
    corrections_made: Sequence[DigestCorrection],
    crises: Sequence[DigestCrisis],
    target: Target,
    detect: Detector,
    language: str = "es",
    as_of: datetime | None = None,
    decision: Decision | None = None,
    first_collected: datetime | None = None,
    sent_from_slack: Sequence[DigestSlackReply] = (),
    reply_from_slack: bool = False,
) -> Digest:
    """Every figure of one brand's week. `history` is W-1..W-4, most recent first.

    Sentiment (volume, net, top mentions) comes from the labels; complaints and questions from
    the reply decision with the brand's thresholds, as Slack alerts on them.
    """
    decision = decision or Decision()
    if len(history) < 1:
        raise ValueError("history needs at least the previous week")
    week_tally = tally(m.label for m in mentions)
    per_day: dict[date, list[str | None]] = {d: [] for d in week.days}
    for m in mentions:
        per_day.setdefault(week.local_date(m.created_at), []).append(m.label)
    negatives = [m for m in mentions if m.label == "negative"]
    positives = [m for m in mentions if m.label == "positive"]
    found = [m for m in mentions if is_complaint(m, decision)]
    asked = [m for m in mentions if is_question(m, decision)]
    top_complaints, unclassified = complaints(found, detect)
    return Digest(
        brand=brand,
        week=week.name,
        timezone=week.timezone,
        start=week.start,
        end=week.end,
        as_of=as_of,
        language=language,
        tally=week_tally,
        days=tuple(Day(d, tally(labels)) for d, labels in sorted(per_day.items())),
        sources=_ranked(Counter(m.source for m in mentions)),
        languages=_ranked(Counter(m.lang or "unknown" for m in mentions)),
        trend=trend(week_tally, history),
        complaints=top_complaints,
        unclassified_complaints=unclassified,
        top_negative=tuple(_ref(m) for m in _by_reach(negatives)[:TOP_N]),
        top_positive=tuple(_ref(m) for m in _by_reach(positives)[:TOP_N]),
        responses=responses(found, target),
        corrections=corrections(corrections_made, mentions),
        crises=tuple(_crisis(c) for c in crises),
        questions=questions(asked, decision.questions),
        coverage=coverage(week, as_of, first_collected),
        slack_replies=slack_replies(sent_from_slack, reply_from_slack),
    )
