"""Everything one Vigía process needs, built lazily from the config and the environment.

Built once per process (or per sandbox run) and handed to the pipeline steps, so tests and
the sandbox can inject an environment, a clock and a scorer without touching globals.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from monitor.config import Config
from monitor.storage.db import Database

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from sentiment.base import Scorer
    from sources.base import Source


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    config: Config
    db: Database
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Callable[[], datetime] = utc_now
    scorer_factory: Callable[[Config], Scorer] | None = None
    # Lease holder name. Host and pid alone can repeat (containers started with the same
    # hostname all run as pid 1), and two daemons with one name would both "hold" a lease.
    worker_id: str = field(default_factory=lambda: (
        f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"))
    _scorer: Scorer | None = None
    _sources: dict[str, Source] = field(default_factory=dict)
    _slack: WebClient | None = None
    _matcher: Any = None

    def now(self) -> datetime:
        return self.clock()

    @property
    def scorer(self) -> Scorer:
        if self._scorer is None:
            if self.scorer_factory is not None:
                self._scorer = self.scorer_factory(self.config)
            else:
                from sentiment import load_scorer

                self._scorer = load_scorer(self.config.sentiment)
        return self._scorer

    def source(self, name: str) -> Source:
        if name not in self._sources:
            from sources import registry

            settings = getattr(self.config.sources, name)
            self._sources[name] = registry()[name].create(settings, self.env)
        return self._sources[name]

    @property
    def slack(self) -> WebClient:
        if self._slack is None:
            from alerts.slack_client import make_web_client

            self._slack = make_web_client(self.config.slack, self.env)
        return self._slack

    @property
    def matcher(self) -> Any:
        if self._matcher is None:
            from monitor.keywords import BrandMatcher

            self._matcher = BrandMatcher.from_config(self.config)
        return self._matcher

    def reload(self, config: Config) -> None:
        """Swap in a new config (keyword edits); sources and matcher are rebuilt on demand."""
        self.config = config
        self._matcher = None
        for src in self._sources.values():
            src.close()
        self._sources.clear()

    def close(self) -> None:
        for src in self._sources.values():
            src.close()
        self._sources.clear()
        self.db.dispose()
