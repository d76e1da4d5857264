"""The digest's figures as plain frozen data: what every renderer and Slack read.

Small-number rule: a share whose denominator is below `SMALL_N` (10) is shown as counts
("3 of 7"), never as a percentage, and week-over-week changes of net sentiment are only
given when both weeks have at least `SMALL_N` scored mentions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

SMALL_N = 10


@dataclass(frozen=True)
class Share:
    """`part` of `whole`; `ratio` is None for an empty whole."""

    part: int
    whole: int

    @property
    def ratio(self) -> float | None:
        return self.part / self.whole if self.whole else None

    @property
    def small(self) -> bool:
        return self.whole < SMALL_N


@dataclass(frozen=True)
class Tally:
    """Sentiment counts; `net` = (positive - negative) / scored, None with nothing scored."""

    positive: int = 0
    neutral: int = 0
    negative: int = 0
    unscored: int = 0

    @property
    def scored(self) -> int:
        return self.positive + self.neutral + self.negative

    @property
    def total(self) -> int:
        return self.scored + self.unscored

    @property
    def net(self) -> float | None:
        return (self.positive - self.negative) / self.scored if self.scored else None

    def share(self, label: str) -> Share:
        return Share(int(getattr(self, label)), self.scored)


@dataclass(frozen=True)
class Day:
    day: date
    tally: Tally


@dataclass(frozen=True)
class PastWeek:
    week: str
    tally: Tally


@dataclass(frozen=True)
class Trend:
    """This week against the previous week and the pooled average of the 4 weeks before.

    The 4-week average net is pooled: (sum positive - sum negative) / sum scored over weeks
    W-1..W-4, i.e. the volume-weighted mean of the weekly nets. Changes are in net units
    (x100 = points) and None when either side has fewer than SMALL_N scored mentions.
    """

    previous: PastWeek
    history: tuple[PastWeek, ...]  # W-1, W-2, W-3, W-4
    avg4: Tally  # the 4 weeks summed
    volume_avg4: float
    net_change_vs_previous: float | None
    net_change_vs_avg4: float | None


@dataclass(frozen=True)
class MentionRef:
    id: int
    source: str
    url: str
    author: str
    reach: int
    text: str
    created_at: datetime
    label: str | None
    lang: str | None


@dataclass(frozen=True)
class Complaint:
    situation: str
    count: int
    share: Share  # of the week's complaints
    example: MentionRef  # the one with most reach (earliest on a tie)


@dataclass(frozen=True)
class Responses:
    """How fast the brand answered the week's complaints (as of `Digest.as_of`).

    A complaint is the reply decision's: P(complaint) at or above the brand's `threshold`, the
    rule that opens a case in Slack, unless someone corrected the category in Slack.

    Percentiles are nearest-rank: p-th = the ceil(p/100 * n)-th smallest first-response time,
    so each is an observed value (the median of 4 values is the 2nd). Times are wall-clock
    minutes; `within_target` uses the brand's SLA clock (always or business hours) and counts
    unanswered complaints as outside the target.
    """

    complaints: int
    answered: Share
    median_minutes: float | None
    p90_minutes: float | None
    within_target: Share
    target_minutes: int
    sla_clock: str
    open_unanswered: int  # no public reply and no closed case
    closed_without_reply: int  # case closed in Slack without a public reply
    open_examples: tuple[MentionRef, ...]


@dataclass(frozen=True)
class SlackReplies:
    """Replies the team sent from Slack to the platform this week (issue 13).

    Counted by when they were sent (up to `Digest.as_of`), so each reply is in exactly one
    week. Response time is each reply's wall-clock minutes from the mention to the posted
    reply; median and P90 are nearest-rank, as in `Responses`. `enabled` is the brand's
    `reply_from_slack` setting: the reports mention Slack replies only where the team can send
    them or did.
    """

    sent: int = 0
    median_minutes: float | None = None
    p90_minutes: float | None = None
    by_source: tuple[tuple[str, int], ...] = ()  # most first
    enabled: bool = False

    @property
    def shown(self) -> bool:
        return self.enabled or self.sent > 0


@dataclass(frozen=True)
class Questions:
    """Questions to the brand this week (P(question) at or above `question_threshold` and not a
    complaint, or corrected to "question"), and which are still unanswered."""

    total: int
    answered: Share
    open_unanswered: int  # no public reply and no closed case
    open_examples: tuple[MentionRef, ...]
    track: str = "alert"  # the brand's `questions` setting: alert | digest | off


@dataclass(frozen=True)
class Coverage:
    """Whether the figures cover the whole week: `until` while the week is still running,
    `started` when Vigía began collecting during it (its first stored mention)."""

    until: datetime | None = None
    started: datetime | None = None

    @property
    def partial(self) -> bool:
        return self.until is not None or self.started is not None


@dataclass(frozen=True)
class LangCorrections:
    lang: str
    corrected: int  # distinct mentions corrected this week
    scored: Share  # corrected of this week's scored mentions in that language


@dataclass(frozen=True)
class Corrections:
    """Sentiment corrections made in Slack during the week (on any week's mentions)."""

    total: int
    by_lang: tuple[LangCorrections, ...]
    changes: tuple[tuple[str, str, int], ...]  # (old label, new label or "none", count)


@dataclass(frozen=True)
class Crisis:
    id: int
    created_at: datetime
    state: str
    situation: str | None
    summary: str


@dataclass(frozen=True)
class Digest:
    brand: str
    week: str
    timezone: str
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    as_of: datetime | None  # replies, corrections and case closures counted up to here
    language: str  # report language
    tally: Tally
    days: tuple[Day, ...]
    sources: tuple[tuple[str, int], ...]  # most first
    languages: tuple[tuple[str, int], ...]  # "unknown" where no language was detected
    trend: Trend
    complaints: tuple[Complaint, ...]
    unclassified_complaints: int
    top_negative: tuple[MentionRef, ...]
    top_positive: tuple[MentionRef, ...]
    responses: Responses
    corrections: Corrections
    crises: tuple[Crisis, ...]
    questions: Questions
    coverage: Coverage = Coverage()
    slack_replies: SlackReplies = SlackReplies()

    @property
    def total(self) -> int:
        return self.tally.total

    @property
    def empty(self) -> bool:
        return self.tally.total == 0

    @property
    def key(self) -> str:
        """Identity of this digest in Slack metadata and in file names."""
        return f"digest:{self.brand}:{self.week}"
