"""The escalation step: decide alerts, escalations, answers and crises; queue Slack calls.

`run` only writes the database (alert cases and outbox items); `alerts.delivery` talks to
Slack. Every decision is keyed, so running it twice with the same data queues nothing new:
  post of a case        mention:{mention_id}      (the alert key; its message metadata key)
  escalation (thread)   escalate:{alert_id}       + card update escalated-card:{alert_id}
  brand reply           answered:{alert_id}       (card update) + answered-note:{alert_id}
  snooze over           reopen:{alert_id}:{until} (thread) + reopen-card:{alert_id}:{until}
  crisis                crisis:{brand}:{minute}   + crisis-fold:{crisis_id}:{first mention id}
  backfill summary      ops:backfill:{brand}:{first id}-{last id}
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from alerts import crisis as crisis_rules
from alerts.blocks import (
    AlertCard,
    alert_message,
    answered_note,
    crisis_message,
    duration,
    escalation_message,
    ops_message,
)
from alerts.escape import escape_mrkdwn, slack_link, slack_url
from alerts.i18n import phrase
from alerts.policy import BrandClock, Priority, PriorityDecision, next_business_start, priority
from alerts.scripts import ScriptLibrary
from alerts.situations import SituationDetector, default_detector, question_situation
from monitor.config import BrandSettings, Config, private_channel_for
from monitor.records import StoredMention
from monitor.storage import alerts as store
from monitor.storage.db import Database
from monitor.storage.mentions import load_mentions, set_situation
from monitor.storage.outbox import enqueue

log = logging.getLogger(__name__)

SUGGESTIONS = 3
FOLD_LIST_MAX = 20  # links listed in one crisis-thread note about folded mentions


@dataclass(frozen=True)
class EscalationReport:
    new_alerts: int = 0
    escalations: int = 0
    crisis_alerts: int = 0
    reply_updates: int = 0
    suppressed: int = 0  # not posted one by one: folded into a crisis, or too old (backfill)
    deferred: int = 0  # pages held until business hours start
    reopened: int = 0  # snoozes that ran out


def run(db: Database, config: Config, now: datetime) -> EscalationReport:
    """One escalation pass over every brand (one transaction per brand)."""
    folder = config.resolve(config.scripts_dir) if config.scripts_dir else None
    scripts = ScriptLibrary.load(folder)
    detector = SituationDetector.load(folder) if folder else default_detector()
    totals: Counter[str] = Counter()
    for brand in config.brands:
        with db.transaction() as session:
            totals.update(_Brand(session, config, brand, scripts, detector, now).run())
    return EscalationReport(**totals)


def enqueue_ops_notice(session: Session, config: Config, key: str, text: str,
                       now: datetime) -> bool:
    """Queue one notice to the ops channel; the same key is never sent twice."""
    body, blocks = ops_message(text)
    return enqueue(session, key=f"ops:{key}", op="ops", channel=config.slack.ops_channel,
                   payload={"text": body, "blocks": blocks}, now=now)


# Cards ------------------------------------------------------------------------------------

CardState = Literal["open", "answered", "snoozed", "dismissed", "escalated"]
_CARD_STATE: dict[str, CardState] = {"open": "open", "snoozed": "snoozed", "answered": "answered",
               "dismissed": "dismissed", "covered": "open", "backfill": "open"}


def as_priority(value: str) -> Priority:
    return "high" if value == "high" else "normal"


def _iso(at: datetime) -> str:
    return at.isoformat()


def card_for(alert: store.AlertRecord, now: datetime, *, clock: BrandClock | None = None
             ) -> AlertCard:
    """Rebuild a case's card from what was stored when it was created plus its live state.

    Without `clock` (no config at hand) the SLA minutes left are counted on the wall clock.
    """
    base = dict(alert.payload["card"])
    created = datetime.fromisoformat(alert.payload["mention_created_at"])
    deadline = datetime.fromisoformat(alert.payload["sla_deadline"])
    level = as_priority(alert.priority)
    if clock is not None:
        left = clock.minutes_left(deadline, now, level)
    else:
        left = (deadline - now).total_seconds() / 60
    state: CardState = _CARD_STATE.get(alert.state, "open")
    if state == "open" and alert.level >= 2:
        state = "escalated"
    base["suggestions"] = list(base.get("suggestions", []))
    return AlertCard(
        **base,
        alert_key=alert.key,
        age_minutes=max(0, int((now - created).total_seconds() // 60)),
        minutes_left=int(left),
        state=state,
        assigned_to=alert.assigned_to,
        answered_by=alert.payload.get("answered_by"),
        answered_after_minutes=alert.payload.get("answered_after_minutes"),
        closed_by=alert.closed_by,
        business_hours=bool(alert.payload.get("business_hours", True)),
    )


# One brand --------------------------------------------------------------------------------


class _Brand:
    """The decisions of one pass for one brand, inside one transaction."""

    def __init__(self, session: Session, config: Config, brand: BrandSettings,
                 scripts: ScriptLibrary, detector: SituationDetector, now: datetime) -> None:
        self.session, self.config, self.brand = session, config, brand
        self.scripts, self.detector, self.now = scripts, detector, now
        self.settings = brand.escalation
        self.clock = BrandClock.of(brand)
        self.counts: Counter[str] = Counter()

    def run(self) -> Counter[str]:
        store.lock_brand(self.session, self.brand.name)
        decision = crisis_rules.decide(self.session, self.brand, self.now)
        if decision.post_key is not None:
            self._post_crisis(decision.post_key, decision.check)
        self._follow_up_cases()
        self._new_cases(decision.covering_key if decision.active else None)
        return self.counts

    # queueing -------------------------------------------------------------------------
    def _queue(self, key: str, op: str, payload: dict[str, Any], alert_id: int | None,
               channel: str | None = None) -> bool:
        return enqueue(self.session, key=key, op=op, channel=channel or self.brand.slack_channel,
                       payload=payload, now=self.now, alert_id=alert_id)

    def _post(self, key: str, text: str, blocks: list[dict[str, Any]], alert_id: int) -> None:
        metadata = {"event_type": "vigia_alert", "event_payload": {"key": key}}
        self._queue(key, "post", {"text": text, "blocks": blocks, "metadata": metadata,
                                  "alert_id": alert_id}, alert_id)

    def _thread(self, key: str, parent_key: str, text: str, alert_id: int | None,
                blocks: list[dict[str, Any]] | None = None) -> bool:
        payload: dict[str, Any] = {"parent_key": parent_key, "text": text}
        if blocks:
            payload["blocks"] = blocks
        return self._queue(key, "thread", payload, alert_id)

    def _update(self, key: str, alert: store.AlertRecord, card: AlertCard) -> None:
        text, blocks = alert_message(card)
        self._queue(key, "update", {"target_key": alert.key, "text": text, "blocks": blocks},
                    alert.id)

    # crisis ---------------------------------------------------------------------------
    def _post_crisis(self, key: str, check: crisis_rules.CrisisCheck) -> None:
        payload = {"count": check.count, "baseline": check.baseline, "ratio": check.ratio,
                   "window_minutes": check.window_minutes, "examples": list(check.example_ids)}
        alert = store.create_alert(self.session, key=key, kind="crisis", brand=self.brand.name,
                                   state="open", priority="high", level=1, now=self.now,
                                   channel=self.brand.slack_channel, payload=payload)
        if alert is None:
            return
        examples = [(m.mention.text, m.mention.url, m.mention.author_reach)
                    for m in load_mentions(self.session, ids=list(check.example_ids))]
        text, blocks = crisis_message(self.brand.name, check.count, check.baseline, check.ratio,
                                      check.window_minutes, examples, self.settings.oncall_group,
                                      lang=self.brand.languages[0])
        self._post(key, text, blocks, alert.id)
        self.counts["crisis_alerts"] += 1

    # existing cases -------------------------------------------------------------------
    def _follow_up_cases(self) -> None:
        cases = store.active_alerts(self.session, self.brand.name)
        mentions = {m.id: m for m in load_mentions(
            self.session, ids=[c.mention_id for c in cases if c.mention_id is not None])}
        for alert in cases:
            sm = mentions.get(alert.mention_id or -1)
            if sm is None:
                continue
            if sm.answered_at is not None:
                self._answered(alert, sm)
            elif alert.state == "snoozed" and alert.snoozed_until and (
                    alert.snoozed_until <= self.now):
                self._reopen(alert)
            elif alert.state == "open" and alert.level == 1:
                self._maybe_escalate(alert)

    def _answered(self, alert: store.AlertRecord, sm: StoredMention) -> None:
        was_posted = alert.state != "covered" and alert.level >= 1
        minutes = sm.first_response_minutes
        alert = store.update_alert(
            self.session, alert.id, state="answered", closed_by=sm.answered_by,
            close_reason="brand_reply", closed_at=self.now, snoozed_until=None,
            payload={"answered_by": sm.answered_by,
                     "answered_after_minutes": None if minutes is None else round(minutes)})
        if not was_posted:
            return
        card = card_for(alert, self.now, clock=self.clock)
        self._update(f"answered:{alert.id}", alert, card)
        self._thread(f"answered-note:{alert.id}", alert.key, answered_note(card), alert.id)
        self.counts["reply_updates"] += 1

    def _reopen(self, alert: store.AlertRecord) -> None:
        until = alert.snoozed_until
        assert until is not None
        alert = store.update_alert(self.session, alert.id, state="open", snoozed_until=None)
        card = card_for(alert, self.now, clock=self.clock)
        stamp = f"{until:%Y%m%dT%H%M%S}"
        left = card.minutes_left
        note = (phrase("card", card.brand_lang, "snooze_over_left", t=duration(left))
                if left > 0 else phrase("card", card.brand_lang, "snooze_over_missed"))
        self._update(f"reopen-card:{alert.id}:{stamp}", alert, card)
        self._thread(f"reopen:{alert.id}:{stamp}", alert.key, note, alert.id)
        self.counts["reopened"] += 1

    def _maybe_escalate(self, alert: store.AlertRecord) -> None:
        level = as_priority(alert.priority)
        deadline = datetime.fromisoformat(alert.payload["sla_deadline"])
        due = self.clock.escalation_due_at(deadline, alert.created_at)
        if self.now < due:
            return
        page_at = self.clock.page_at(self.now, level)
        if page_at > self.now:
            if alert.payload.get("page_deferred_until") != _iso(page_at):
                store.update_alert(self.session, alert.id,
                                   payload={"page_deferred_until": _iso(page_at)})
                self.counts["deferred"] += 1
            return
        alert = store.update_alert(self.session, alert.id, level=2, escalated_at=self.now)
        card = card_for(alert, self.now, clock=self.clock)
        text, blocks = escalation_message(card, self.settings.oncall_group)
        if self._thread(f"escalate:{alert.id}", alert.key, text, alert.id, blocks):
            self.counts["escalations"] += 1
        self._update(f"escalated-card:{alert.id}", alert, card)

    # new cases ------------------------------------------------------------------------
    def _lang(self, sm: StoredMention) -> str | None:
        return sm.mention.lang or (sm.score.lang if sm.score else None)

    def _age(self, sm: StoredMention) -> int:
        return max(0, int((self.now - sm.mention.created_at).total_seconds() // 60))

    def _card_fields(self, sm: StoredMention, level: Priority, *, situation: str,
                     suggestions: list[str], track: str,
                     reasons: tuple[str, ...]) -> dict[str, Any]:
        m, score = sm.mention, sm.score
        probability = (score.complaint if track == "complaint" else score.question) if score else 0
        return {
            "brand": self.brand.name, "source": m.source, "author_handle": m.author_handle,
            "author_name": m.author_name, "author_reach": m.author_reach, "text": m.text,
            "url": m.url, "label": score.label if score else "negative",
            "confidence": round(score.confidence, 3) if score else 0.0,
            "lang": self._lang(sm), "sla_minutes": self.settings.sla_minutes,
            "situation": situation, "suggestions": suggestions, "priority": level,
            "track": track, "probability": round(float(probability), 3),
            "priority_reasons": list(reasons), "brand_lang": self.brand.languages[0],
            "reply_enabled": self.brand.reply_from_slack.enabled,
            **self._hours_fields(sm, level),
        }

    def _hours_fields(self, sm: StoredMention, level: Priority) -> dict[str, Any]:
        """Whose hours and when the SLA clock starts, for a card posted outside them."""
        hours = self.clock.hours
        starts = (next_business_start(sm.mention.created_at, self.clock.tz, hours)
                  if self.clock.business_clock(level) else None)
        return {"timezone": self.brand.timezone, "hours_days": list(hours.days),
                "hours_span": f"{hours.start:%H:%M}–{hours.end:%H:%M}",
                "clock_starts_at": _iso(starts) if starts else None}

    def _decide(self, sm: StoredMention, track: str) -> PriorityDecision:
        """Questions run at normal priority: reach or a severity word make a complaint urgent,
        not a question about sizes."""
        decision = priority(sm.mention, self._lang(sm), self.settings)
        if track == "question":
            return PriorityDecision("normal", ())
        return decision

    def _new_cases(self, covering_key: str | None) -> None:
        questions = self.settings.question_threshold if self.settings.questions == "alert" else None
        found = store.unalerted_cases(self.session, self.brand.name, self.settings.threshold,
                                      questions)
        if not found:
            return
        tracks = dict(found)
        backfill: list[StoredMention] = []
        folded: list[StoredMention] = []
        for sm in load_mentions(self.session, ids=list(tracks)):
            if sm.answered_at is not None or sm.score is None:
                continue
            if sm.mention.extra.get("author_unknown"):
                continue  # may be the brand's own post or reply (Facebook without `from`)
            track = tracks[sm.id]
            created = sm.mention.created_at
            decision = self._decide(sm, track)
            if self.clock.too_old(created, self.now):
                if self._record(sm, "backfill", decision.level, decision.reasons, None, track):
                    backfill.append(sm)
                continue
            if self.now < self.clock.alert_due_at(created, decision.level):
                continue
            if covering_key is not None and decision.level == "normal" and track == "complaint":
                if self._record(sm, "covered", decision.level, decision.reasons, covering_key,
                                track):
                    folded.append(sm)
                continue
            alert = self._record(sm, "open", decision.level, decision.reasons, None, track)
            if alert is not None:
                text, blocks = alert_message(card_for(alert, self.now, clock=self.clock))
                self._post(alert.key, text, blocks, alert.id)
                self.counts["new_alerts"] += 1
        if folded and covering_key is not None:
            self._note_folded(covering_key, folded)
        if backfill:
            self._note_backfill(backfill)
        self.counts["suppressed"] += len(folded) + len(backfill)

    def _record(self, sm: StoredMention, state: str, level: Priority, reasons: tuple[str, ...],
                covered_by: str | None, track: str) -> store.AlertRecord | None:
        """Create the case (situation and suggestions included); None if it already exists."""
        lang = self._lang(sm)
        situation = self.detector.detect(sm.mention.text, lang)
        if track == "question":
            situation = question_situation(situation, sm.mention.text, lang,
                                           detector=self.detector)
        set_situation(self.session, sm.id, situation)
        suggestions = [] if state == "backfill" else self.scripts.suggest(
            situation, lang or self.brand.languages[0], author_name=sm.mention.author_name,
            author_handle=sm.mention.author_handle, brand=self.brand.name,
            source=sm.mention.source, private_channel=private_channel_for(self.brand, lang),
            count=SUGGESTIONS, seed=f"mention:{sm.id}")
        deadline = self.clock.sla_deadline(sm.mention.created_at, level)
        payload: dict[str, Any] = {
            "card": self._card_fields(sm, level, situation=situation,
                                      suggestions=list(suggestions), track=track,
                                      reasons=reasons),
            "mention_created_at": _iso(sm.mention.created_at),
            "sla_deadline": _iso(deadline),
            "business_hours": self.clock.in_business_hours(sm.mention.created_at),
            "priority_reasons": list(reasons),
        }
        if covered_by:
            payload["covered_by"] = covered_by
        return store.create_alert(
            self.session, key=f"mention:{sm.id}", kind="mention", brand=self.brand.name,
            mention_id=sm.id, state=state, priority=level, level=1 if state == "open" else 0,
            situation=situation, channel=self.brand.slack_channel, now=self.now,
            payload=payload, track=track)

    def _note_folded(self, covering_key: str, folded: list[StoredMention]) -> None:
        crisis = store.get_alert(self.session, covering_key)
        if crisis is None:
            return
        lines = [f"+{len(folded)} more negative mention(s) folded into this crisis:"]
        for sm in folded[:FOLD_LIST_MAX]:
            who = escape_mrkdwn(sm.mention.author_handle or sm.mention.author_name or "?")
            snippet = escape_mrkdwn(sm.mention.text[:120].replace("\n", " "))
            link = " " + slack_link(sm.mention.url, "open") if slack_url(sm.mention.url) else ""
            lines.append(f"• @{who}: {snippet}{link}")
        if len(folded) > FOLD_LIST_MAX:
            lines.append(f"…and {len(folded) - FOLD_LIST_MAX} more (see `vigia status`).")
        self._thread(f"crisis-fold:{crisis.id}:{folded[0].id}", covering_key, "\n".join(lines),
                     crisis.id)

    def _note_backfill(self, mentions: list[StoredMention]) -> None:
        hours = self.settings.max_age_hours
        text = (f"{self.brand.name}: {len(mentions)} unanswered negative mention(s) older than "
                f"{hours} h were found (a backfill or a long collector gap). They were recorded "
                "but not posted one by one; they appear in the weekly digest.")
        enqueue_ops_notice(self.session, self.config,
                           f"backfill:{self.brand.name}:{mentions[0].id}-{mentions[-1].id}",
                           text, self.now)
