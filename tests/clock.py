"""A clock tests move by hand, injected wherever production code asks for `now`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class Clock:
    at: datetime

    def __call__(self) -> datetime:
        return self.at
