"""Staying under Reddit's limits without ever sleeping the scheduler.

Two independent guards: our own token bucket (`queries_per_minute`, shared by every query of
the OAuth client) that ends a poll early when spent, and Reddit's `x-ratelimit-*` headers that
turn into `RateLimited(reset_at)` before the next request when the server budget is nearly out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sources.base import RateLimited

RATE_HEADERS = ("x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset")
DEFAULT_RESET = timedelta(seconds=60)


class TokenBucket:
    """`per_minute` requests per minute, bursting up to that many; the clock is injected."""

    def __init__(self, per_minute: int, now: Callable[[], datetime]) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._now = now
        self._tokens = self.capacity
        self._at = now()

    def take(self) -> bool:
        """Spend one token if there is one; never waits."""
        now = self._now()
        elapsed = max(0.0, (now - self._at).total_seconds())
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class RateGuard:
    """Remembers Reddit's last reported budget and refuses to spend its final requests."""

    def __init__(self, now: Callable[[], datetime], *, keep: float = 2.0) -> None:
        self.now = now
        self.keep = keep  # requests left untouched for whoever shares the client id
        self.remaining: float | None = None
        self.reset_at: datetime | None = None

    def observe(self, headers: Mapping[str, str]) -> None:
        """Record `x-ratelimit-remaining` (a float string) and `-reset` (seconds from now)."""
        raw = headers.get("x-ratelimit-remaining")
        if raw is None:
            return
        try:
            self.remaining = float(raw)
        except ValueError:
            return
        self.reset_at = self.now() + reset_after(headers)

    def check(self) -> None:
        """Raise `RateLimited` instead of sending a request the budget cannot afford."""
        if self.remaining is None or self.reset_at is None:
            return
        if self.now() >= self.reset_at:
            self.remaining = None
            return
        if self.remaining < self.keep:
            raise RateLimited(
                f"reddit: {self.remaining:g} requests left in this window",
                reset_at=self.reset_at,
            )


def reset_after(headers: Mapping[str, str]) -> timedelta:
    """Seconds until the window resets, from `x-ratelimit-reset` or `retry-after`."""
    for name in ("x-ratelimit-reset", "retry-after"):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            return timedelta(seconds=max(1.0, float(raw)))
        except ValueError:
            continue
    return DEFAULT_RESET
