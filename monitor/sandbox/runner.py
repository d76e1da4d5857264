"""`--sandbox`: run the real clients against loopback emulators fed with sample mentions.

Explicit by design (never a silent fallback when credentials are missing): the config is
copied with every source enabled and pointed at 127.0.0.1, credentials are sandbox
placeholders, and the database defaults to a separate file so sample data never mixes with
real data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.config import Config
from monitor.sandbox import bluesky_api, facebook_api, instagram_api, reddit_api, twitter_api
from monitor.sandbox.http import Emulator
from monitor.sandbox.slack_api import VALID_TOKEN, SlackEmulator
from monitor.sandbox.world import World, sample_world

SANDBOX_PAGE_ID = "104000000000001"
SANDBOX_DB = "vigia-sandbox.db"
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

    @classmethod
    def for_config(cls, config: Config) -> Sandbox:
        brand = config.brands[0]
        keywords = brand.keywords
        term = next(iter(keywords.terms or keywords.phrases or [brand.name]), brand.name)
        if term.casefold() == brand.name.casefold():
            term = brand.name  # "Tienda Sol", as people write it, rather than "tienda sol"
        handle = next(iter(brand.accounts.twitter), brand.name.replace(" ", "").lower())
        page = next(iter(brand.accounts.facebook), SANDBOX_PAGE_ID)
        ig = next(iter(brand.accounts.instagram), instagram_api.DEFAULT_ACCOUNT)
        return cls(world=sample_world(term, handle, facebook_page_id=page, instagram_account=ig),
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
        return self

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
        url = database_url or f"sqlite:///{config.path.parent / SANDBOX_DB}"
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
