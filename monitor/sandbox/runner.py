"""`--sandbox`: run the real clients against loopback emulators fed with sample mentions.

Explicit by design (never a silent fallback when credentials are missing): the config is
copied with every source enabled and pointed at 127.0.0.1, credentials are sandbox
placeholders, and the database defaults to a separate file so sample data never mixes with
real data.

Run after run the sandbox behaves like one workspace that time passes over: the sample world
keeps the instant it was first built at (so the same posts keep the same ids and a second run
deduplicates) and the emulated Slack keeps its channels and messages (so a later SLA
follow-up is threaded under its card, in the card's channel), both in `vigia-sandbox.json`
beside the sandbox database. Deleting the database starts a fresh sandbox.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.config import Config
from monitor.sandbox import bluesky_api, facebook_api, instagram_api, reddit_api, twitter_api
from monitor.sandbox.history import history_posts, live_spike, seed_history
from monitor.sandbox.http import Emulator
from monitor.sandbox.slack_api import VALID_TOKEN, SlackEmulator, SlackMessage
from monitor.sandbox.world import World, sample_world
from monitor.storage.db import Database

if TYPE_CHECKING:
    from monitor.runtime import Runtime

SANDBOX_PAGE_ID = "104000000000001"
SANDBOX_DB = "vigia-sandbox.db"
SANDBOX_STATE = "vigia-sandbox.json"  # the sample world's instant and the Slack workspace
SANDBOX_USER = "U0SANDBOX1"  # the Slack user the sandbox answers a complaint as
SANDBOX_SECRETS = {
    "twitter": {"bearer_token_env": twitter_api.VALID_TOKEN},
    "reddit": {"client_id_env": reddit_api.CLIENT_ID,
               "client_secret_env": reddit_api.CLIENT_SECRET},
    "facebook": {"page_token_env": facebook_api.PAGE_TOKEN},
    "instagram": {"access_token_env": instagram_api.ACCESS_TOKEN},
    "bluesky": {"handle_env": bluesky_api.HANDLE, "app_password_env": bluesky_api.APP_PASSWORD},
}


@dataclass
class Sandbox:
    """Running emulators plus the config and environment that point at them."""

    world: World
    facebook_page_id: str = SANDBOX_PAGE_ID
    instagram_account: str = instagram_api.DEFAULT_ACCOUNT
    bluesky_handle: str = ""
    emulators: dict[str, Emulator] = field(default_factory=dict)
    state_file: Path | None = None  # where the workspace is kept between runs; None: never
    anchor: datetime | None = None  # the instant the sample world was built for
    restored: int = 0  # Slack messages that were already there from earlier runs
    saved_slack: dict[str, Any] | None = None  # the workspace to restore on start
    brand: str = ""  # the brand the sample world is about, its keyword and X handle
    term: str = ""
    handle: str = ""

    @classmethod
    def for_config(cls, config: Config, *, keep_state: bool = False) -> Sandbox:
        """The sample world for the config's first brand; with `keep_state` (the default
        sandbox database), resumed from the previous run's state when that database exists."""
        state_file = config.path.parent / SANDBOX_STATE if keep_state else None
        state = _read_state(state_file, sandbox_database_path(config))
        anchor = (datetime.fromisoformat(state["anchor"]) if "anchor" in state
                  else datetime.now(UTC))
        box = cls._build(config, anchor)
        box.state_file, box.anchor = state_file, anchor
        box.saved_slack = state.get("slack")
        return box

    @classmethod
    def _build(cls, config: Config, now: datetime) -> Sandbox:
        brand = config.brands[0]
        keywords = brand.keywords
        term = next(iter(keywords.terms or keywords.phrases or [brand.name]), brand.name)
        if term.casefold() == brand.name.casefold():
            term = brand.name  # "Tienda Sol", as people write it, rather than "tienda sol"
        handle = next(iter(brand.accounts.twitter), brand.name.replace(" ", "").lower())
        page = next(iter(brand.accounts.facebook), SANDBOX_PAGE_ID)
        ig = next(iter(brand.accounts.instagram), instagram_api.DEFAULT_ACCOUNT)
        world = sample_world(term, handle, now=now, facebook_page_id=page, instagram_account=ig)
        world.add(*live_spike(term, now))
        return cls(world=world, brand=brand.name, term=term, handle=handle,
                   facebook_page_id=page, instagram_account=ig,
                   bluesky_handle=next(iter(brand.accounts.bluesky), f"{handle}.bsky.social"))

    def start(self) -> Sandbox:
        self.emulators = {
            "twitter": twitter_api.TwitterEmulator(self.world).start(),
            "reddit": reddit_api.RedditEmulator(self.world).start(),
            "facebook": facebook_api.FacebookEmulator(self.world, self.facebook_page_id).start(),
            "instagram": instagram_api.InstagramEmulator(
                self.world, self.instagram_account,
                username=self.bluesky_handle.split(".")[0]).start(),
            "bluesky": bluesky_api.BlueskyEmulator(self.world).start(),
            "slack": SlackEmulator().start(),
        }
        if self.saved_slack:
            self.slack.restore(self.saved_slack)
            self.restored = len(self.slack.messages)
        return self

    def seed_history(self, db: Database) -> int:
        """Store the brand's four weeks of history (a no-op when already there)."""
        if not self.brand:
            return 0
        now = self.anchor or datetime.now(UTC)
        return seed_history(db, self.brand, self.term,
                            history_posts(self.term, self.handle, now), now)

    def later_pass(self, rt: Runtime) -> list[str]:
        """The daemon's escalation pass a little later, nobody having answered: SLA follow-ups
        of overdue cases (which wait a grace period after their card) show in the same run."""
        from monitor import pipeline

        minutes = max(b.escalation.grace_minutes for b in rt.config.brands) + 1
        real = rt.clock
        rt.clock = lambda: real() + timedelta(minutes=minutes)
        try:
            esc = pipeline.escalate(rt)
            sent = pipeline.deliver(rt)
        finally:
            rt.clock = real
        return [f"escalate again, {minutes} min later (simulated: the daemon's pass when "
                "nobody has answered)",
                f"  {esc.escalations} SLA escalation(s), {esc.new_alerts} new alert(s); "
                f"{sent.sent} Slack message(s) sent, {sent.failed} failed"]

    def save_state(self) -> None:
        """Keep the world's instant and the Slack workspace for the next run."""
        if self.state_file is None or self.anchor is None:
            return
        state = {"anchor": self.anchor.isoformat(), "slack": self.slack.state()}
        self.state_file.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")

    def new_messages(self) -> list[SlackMessage]:
        """What Slack received during this run (earlier runs' messages stay in the workspace)."""
        return self.slack.messages[self.restored:]

    def stop(self) -> None:
        for emulator in self.emulators.values():
            emulator.stop()

    @property
    def slack(self) -> SlackEmulator:
        emulator = self.emulators["slack"]
        assert isinstance(emulator, SlackEmulator)
        return emulator

    def environment(self, config: Config) -> dict[str, str]:
        env = {config.slack.token_env: VALID_TOKEN}
        for name, settings in config.sources.items():
            for key, var in settings.credential_envs().items():
                env[var] = SANDBOX_SECRETS[name][key]
        return env

    def configure(self, config: Config, *, database_url: str | None = None) -> Config:
        """The same config, every source enabled and pointed at the loopback emulators."""
        sources: dict[str, Any] = {}
        for name, settings in config.sources.items():
            update: dict[str, Any] = {"enabled": True, "api_base": self.emulators[name].base_url}
            if name == "reddit":
                update["auth_base"] = self.emulators[name].base_url
            sources[name] = settings.model_copy(update=update)
        brands = [
            b.model_copy(update={"accounts": b.accounts.model_copy(
                update={"facebook": b.accounts.facebook or [self.facebook_page_id],
                        "instagram": b.accounts.instagram or [self.instagram_account],
                        "bluesky": b.accounts.bluesky or [self.bluesky_handle]}),
                "reply_from_slack": b.reply_from_slack.model_copy(update={
                    "enabled": True,
                    "allowed_users": [*b.reply_from_slack.allowed_users, SANDBOX_USER]})})
            for b in config.brands
        ]
        for channel in {config.slack.ops_channel, *(b.slack_channel for b in config.brands),
                        *(b.marketing_channel for b in config.brands if b.marketing_channel)}:
            self.slack.channel_messages(channel)  # the sandbox workspace has these channels
        url = database_url or sandbox_database_url(config)
        return config.model_copy(update={
            "sources": config.sources.model_copy(update=sources),
            "slack": config.slack.model_copy(
                update={"api_base": self.emulators["slack"].base_url + "/api/",
                        "socket_mode": False}),
            "database": config.database.model_copy(update={"url": url}),
            "brands": brands,
        })

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def sandbox_database_path(config: Config) -> Path:
    return config.path.parent / SANDBOX_DB


def sandbox_database_url(config: Config) -> str:
    """The sandbox's own database; `--sandbox` on `status` and `digest` reads it."""
    return f"sqlite:///{sandbox_database_path(config)}"


def _read_state(state_file: Path | None, database: Path) -> dict[str, Any]:
    """The previous run's state, or nothing when there is none to resume: no state kept, no
    sandbox database any more (deleted to start over), or an unreadable file."""
    if state_file is None or not state_file.exists() or not database.exists():
        return {}
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}
