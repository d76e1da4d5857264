"""Crisis detection: a burst of negative mentions far above the brand's usual level.

The count of negative mentions created in the last `window_minutes` is compared with the
baseline: the same local hour-of-day window on each of the last `baseline_days` days, averaged
over the days the brand was already monitored. A crisis is a count of at least `min_count` and
at least `ratio` times the baseline (the baseline is floored at one mention per window, so a
quiet brand needs `min_count` mentions, not one).

While the crisis is *active* the engine folds normal-priority single alerts into the crisis
alert. It is active while the spike holds, and during the cooldown for as long as the volume
stays above the usual level (the tail of the same incident); once volume is back to normal,
single alerts flow again. A second crisis alert is posted only once `cooldown_minutes` have
passed since the previous one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from monitor.config import BrandSettings, CrisisSettings
from monitor.storage import alerts as store

EXAMPLES = 3
BASELINE_FLOOR = 1.0


@dataclass(frozen=True)
class CrisisCheck:
    """One measurement of a brand's negative volume against its baseline."""

    brand: str
    count: int
    baseline: float
    ratio: float
    window_minutes: int
    spike: bool
    example_ids: tuple[int, ...]


@dataclass(frozen=True)
class CrisisDecision:
    check: CrisisCheck
    post_key: str | None  # key of a new crisis alert to post now, None when none is due
    covering_key: str | None  # the crisis alert that folded single alerts belong to

    @property
    def active(self) -> bool:
        return self.covering_key is not None


def is_spike(count: int, baseline: float, settings: CrisisSettings) -> bool:
    """The crisis rule on its own: absolute floor and ratio to the (floored) baseline."""
    return (settings.enabled and count >= settings.min_count
            and count / max(baseline, BASELINE_FLOOR) >= settings.ratio)


def baseline_windows(now: datetime, tz: ZoneInfo, window: timedelta,
                     days: int) -> list[tuple[datetime, datetime]]:
    """The same local hour-of-day window on each of the previous `days` days (DST-aware)."""
    local = now.astimezone(tz)
    out = []
    for back in range(1, days + 1):
        end = (local - timedelta(days=back)).replace(tzinfo=None)  # wall-clock arithmetic
        end_utc = end.replace(tzinfo=tz).astimezone(UTC)
        out.append((end_utc - window, end_utc))
    return out


def measure(session: Session, brand: BrandSettings, now: datetime) -> CrisisCheck:
    """Count, baseline, ratio and top examples (by reach) for the window ending at `now`."""
    settings = brand.escalation.crisis
    threshold = brand.escalation.threshold
    window = timedelta(minutes=settings.window_minutes)
    count = store.count_negative(session, brand.name, now - window, now, threshold)
    first = store.first_mention_at(session, brand.name)
    history = [
        store.count_negative(session, brand.name, start, end, threshold)
        for start, end in baseline_windows(now, ZoneInfo(brand.timezone), window,
                                           settings.baseline_days)
        if first is not None and start >= first
    ]
    baseline = sum(history) / len(history) if history else 0.0
    ratio = count / max(baseline, BASELINE_FLOOR)
    spike = is_spike(count, baseline, settings)
    examples = (
        tuple(store.top_negative(session, brand.name, now - window, now, threshold, EXAMPLES))
        if spike else ()
    )
    return CrisisCheck(brand.name, count, round(baseline, 2), round(ratio, 1),
                       settings.window_minutes, spike, examples)


def crisis_key(brand: str, now: datetime) -> str:
    return f"crisis:{brand}:{now.astimezone(UTC):%Y%m%dT%H%M}"


def decide(session: Session, brand: BrandSettings, now: datetime) -> CrisisDecision:
    """Whether to post a crisis alert now, and which crisis alert covers folded alerts."""
    check = measure(session, brand, now)
    last = store.latest_crisis(session, brand.name)
    cooldown = timedelta(minutes=brand.escalation.crisis.cooldown_minutes)
    in_cooldown = last is not None and now - last.created_at < cooldown
    if check.spike and not in_cooldown:
        key = crisis_key(brand.name, now)
        return CrisisDecision(check, key, key)
    elevated = check.count > max(check.baseline, BASELINE_FLOOR)
    if last is not None and in_cooldown and (check.spike or elevated):
        return CrisisDecision(check, None, last.key)
    return CrisisDecision(check, None, None)
