"""Typed, validated configuration from config.toml; secrets only by environment variable name.

Every error names the file, the key path and what was expected, because the person reading it
is a community manager editing a TOML file, not a Python developer reading a traceback.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.keywords import BrandLanguage, KeywordSet

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path("config.toml")
ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


class ConfigError(Exception):
    """A configuration problem, already phrased for the person who edits the file."""


def _env_name(value: str) -> str:
    if not ENV_NAME.match(value):
        raise ValueError(
            "an environment variable NAME such as SLACK_BOT_TOKEN (secrets never go in config.toml)"
        )
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"an IANA time zone such as Europe/Madrid, got {value!r}") from exc
    return value


EnvName = Annotated[str, AfterValidator(_env_name)]
TimeZone = Annotated[str, AfterValidator(_timezone)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def is_loopback_or_https(url: str) -> bool:
    """Credentials may only travel over TLS or stay on this machine."""
    parsed = urlparse(url)
    if parsed.scheme == "https":
        return True
    host = parsed.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


DEFAULT_BACKFILL_HOURS = 72.0  # installed on Monday morning: the weekend's complaints are read
MAX_BACKFILL_HOURS = 168.0  # X recent search and the Facebook post window reach 7 days


class SourceSettings(Strict):
    enabled: bool = False
    interval_minutes: float = Field(default=5.0, gt=0, le=24 * 60)
    api_base: str | None = None
    request_timeout_s: float = Field(default=10.0, gt=0, le=120)  # per HTTP request

    @field_validator("api_base")
    @classmethod
    def _check_base(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if urlparse(value).scheme not in ("http", "https"):
            raise ValueError(f"an http(s) URL, got {value!r}")
        if not is_loopback_or_https(value):
            log.warning(
                "api_base %s is neither https nor loopback: credentials would travel in clear text",
                value,
            )
        return value.rstrip("/")

    def credential_envs(self) -> dict[str, str]:
        """Map of config key -> environment variable name this source needs."""
        return {
            name: getattr(self, name)
            for name in type(self).model_fields
            if name.endswith("_env") and getattr(self, name)
        }


class TwitterSettings(SourceSettings):
    bearer_token_env: EnvName = "X_BEARER_TOKEN"
    page_budget: int = Field(default=5, ge=1, le=100)
    max_results: int = Field(default=100, ge=10, le=100)
    exclude_retweets: bool = True
    monthly_read_budget: int = Field(default=100_000, ge=0)
    cost_per_read_usd: float = Field(default=0.005, ge=0)
    # First poll of a query: how far back it reads (a weekend for a Monday install).
    backfill_hours: float = Field(default=DEFAULT_BACKFILL_HOURS, gt=0, le=MAX_BACKFILL_HOURS)


class RedditSettings(SourceSettings):
    client_id_env: EnvName = "REDDIT_CLIENT_ID"
    client_secret_env: EnvName = "REDDIT_CLIENT_SECRET"
    user_agent: str = "python:vigia:0.1.0 (by /u/your_reddit_user)"
    auth_base: str | None = None  # praw's reddit_url (login host); only for proxies and sandbox
    subreddits: list[str] = Field(default_factory=lambda: ["all"])
    comment_subreddits: list[str] = Field(default_factory=list)
    queries_per_minute: int = Field(default=90, ge=1, le=100)
    # First poll of a query: how far back it reads (a weekend for a Monday install).
    backfill_hours: float = Field(default=DEFAULT_BACKFILL_HOURS, gt=0, le=MAX_BACKFILL_HOURS)

    @field_validator("user_agent")
    @classmethod
    def _check_user_agent(cls, value: str) -> str:
        if not re.match(r"^[^:\s]+:[^:\s]+:[^:\s]+ \(by /u/[A-Za-z0-9_-]+\)$", value):
            raise ValueError(
                "Reddit's user agent form 'platform:app-id:version (by /u/username)', "
                f"got {value!r}"
            )
        return value


class FacebookSettings(SourceSettings):
    page_token_env: EnvName = "FB_PAGE_TOKEN"
    api_version: str = Field(default="v21.0", pattern=r"^v\d+\.\d+$")
    include_tagged: bool = True
    include_visitor_posts: bool = True
    # First poll of a query: how far back it reads (a weekend for a Monday install).
    backfill_hours: float = Field(default=DEFAULT_BACKFILL_HOURS, gt=0, le=MAX_BACKFILL_HOURS)


class InstagramSettings(SourceSettings):
    """Instagram professional account via the Graph API (Facebook-login Page token with
    instagram_basic, instagram_manage_comments, pages_read_engagement; or an Instagram-login
    token with instagram_business_basic, instagram_business_manage_comments and
    api_base = "https://graph.instagram.com")."""

    access_token_env: EnvName = "IG_ACCESS_TOKEN"
    api_version: str = Field(default="v21.0", pattern=r"^v\d+\.\d+$")
    include_tagged: bool = True
    media_window_days: int = Field(default=7, ge=1, le=90)  # media whose comments are read
    max_media: int = Field(default=25, ge=1, le=200)
    # First poll of a query: how far back it reads (a weekend for a Monday install).
    backfill_hours: float = Field(default=DEFAULT_BACKFILL_HOURS, gt=0, le=MAX_BACKFILL_HOURS)


class BlueskySettings(SourceSettings):
    handle_env: EnvName = "BLUESKY_HANDLE"
    app_password_env: EnvName = "BLUESKY_APP_PASSWORD"
    language_filter: bool = False  # send lang: when the brand has one language (see docs)
    page_size: int = Field(default=100, ge=1, le=100)
    # First poll of a query: how far back it reads (a weekend for a Monday install).
    backfill_hours: float = Field(default=DEFAULT_BACKFILL_HOURS, gt=0, le=MAX_BACKFILL_HOURS)


class SourcesSettings(Strict):
    twitter: TwitterSettings = Field(default_factory=TwitterSettings)
    reddit: RedditSettings = Field(default_factory=RedditSettings)
    facebook: FacebookSettings = Field(default_factory=FacebookSettings)
    instagram: InstagramSettings = Field(default_factory=InstagramSettings)
    bluesky: BlueskySettings = Field(default_factory=BlueskySettings)

    def items(self) -> list[tuple[str, SourceSettings]]:
        return [(name, getattr(self, name)) for name in type(self).model_fields]


class DatabaseSettings(Strict):
    url: str = "sqlite:///vigia.db"

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError(
                "a SQLAlchemy URL: sqlite:///path.db or postgresql+psycopg://user@host/db"
            )
        return value


class SentimentSettings(Strict):
    # "bundled" (default), "bundled-fast", a Hugging Face hub id, or a local directory
    model: str = "bundled"
    # CPU threads of the bundled model's sentence encoders (None: the cores this process has).
    threads: int | None = Field(default=None, ge=1, le=256)
    backend: Literal["torch", "onnx"] = "torch"
    device: str = "auto"  # auto | cpu | cuda
    batch_size: int = Field(default=32, ge=1, le=1024)
    max_length: int = Field(default=128, ge=8, le=512)


class SlackSettings(Strict):
    token_env: EnvName = "SLACK_BOT_TOKEN"
    app_token_env: EnvName = "SLACK_APP_TOKEN"  # Socket Mode (xapp-...) for the buttons
    api_base: str | None = None
    ops_channel: str = "#vigia-ops"
    socket_mode: bool = True
    app_id: str | None = None  # our Slack app id (A0...): button clicks from other apps ignored

    @field_validator("api_base")
    @classmethod
    def _check_base(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not is_loopback_or_https(value):
            log.warning("slack.api_base %s is neither https nor loopback", value)
        return value.rstrip("/") + "/"


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _workdays() -> list[Weekday]:
    return ["mon", "tue", "wed", "thu", "fri"]


class BusinessHours(Strict):
    days: list[Weekday] = Field(default_factory=_workdays)
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(19, 0)
    sla_clock: Literal["always", "business_hours"] = "always"

    @model_validator(mode="after")
    def _check_span(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError("business hours 'end' must be after 'start'")
        return self


class CrisisSettings(Strict):
    enabled: bool = True
    window_minutes: int = Field(default=60, ge=5)
    baseline_days: int = Field(default=14, ge=1, le=90)
    ratio: float = Field(default=4.0, gt=1)
    min_count: int = Field(default=10, ge=1)
    cooldown_minutes: int = Field(default=180, ge=0)


# Config files written for Vigía 1 have no `config_version`; their `threshold` was the confidence
# of a "negative" label, not P(complaint), so it is replaced by the new default (see
# `migrate_v1`).
CONFIG_VERSION = 2
DEFAULT_THRESHOLD = 0.5
DEFAULT_QUESTION_THRESHOLD = 0.5
QuestionsTrack = Literal["alert", "digest", "off"]


class EscalationSettings(Strict):
    # Alert when P(complaint) reaches this (docs/sentiment.md has the table of what each
    # setting catches and what it costs in false alerts).
    threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0, le=1)
    # Unanswered questions: "alert" (a case at normal priority, same SLA), "digest" (counted
    # in the weekly digest only) or "off".
    questions: QuestionsTrack = "alert"
    question_threshold: float = Field(default=DEFAULT_QUESTION_THRESHOLD, ge=0, le=1)
    grace_minutes: int = Field(default=10, ge=0)
    sla_minutes: int = Field(default=120, ge=1)
    oncall_group: str | None = None  # Slack user group id (S0123...) paged at the SLA
    high_priority_reach: int = Field(default=10_000, ge=0)
    high_priority_engagement: int = Field(default=50, ge=0)
    severity_words: dict[str, list[str]] = Field(default_factory=dict)  # extra words per lang
    max_age_hours: int = Field(default=168, ge=1)  # older mentions (backfill) are not posted
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    crisis: CrisisSettings = Field(default_factory=CrisisSettings)


class DigestSettings(Strict):
    enabled: bool = True
    day: Weekday = "mon"
    time: dt.time = dt.time(9, 0)
    reports_dir: str = "reports"


class BrandAccountsSettings(Strict):
    twitter: list[str] = Field(default_factory=list)  # handles without @
    twitter_ids: list[str] = Field(default_factory=list)  # numeric ids, when known
    reddit: list[str] = Field(default_factory=list)  # usernames without /u/
    facebook: list[str] = Field(default_factory=list)  # Page ids the brand manages
    instagram: list[str] = Field(default_factory=list)  # IG professional account (user) ids
    bluesky: list[str] = Field(default_factory=list)  # handles (or DIDs) without @


class ReplyFromSlackSettings(Strict):
    """Who may answer a mention from its Slack card (off unless a brand turns it on)."""

    enabled: bool = False
    allowed_users: list[str] = Field(default_factory=list)  # Slack user ids (U0123…)
    allowed_groups: list[str] = Field(default_factory=list)  # Slack user group ids (S0123…)

    @field_validator("allowed_users", "allowed_groups")
    @classmethod
    def _check_ids(cls, values: list[str]) -> list[str]:
        for value in values:
            if not re.match(r"^[UWS][A-Z0-9]{2,}$", value):
                raise ValueError(f"Slack ids such as U0123ABCD (users) or S0123ABCD (user "
                                 f"groups), got {value!r}")
        return values


class BrandSettings(Strict):
    name: str = Field(min_length=1)
    timezone: TimeZone = "UTC"
    languages: list[BrandLanguage] = Field(default_factory=lambda: ["es", "en", "pt"], min_length=1)
    slack_channel: str = "#vigia-alerts"
    marketing_channel: str | None = None
    # The private channel every script offers for order details: one text, or one per language.
    private_channel: str | dict[str, str] = Field(default_factory=dict)
    accounts: BrandAccountsSettings = Field(default_factory=BrandAccountsSettings)
    keywords: KeywordSet
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    reply_from_slack: ReplyFromSlackSettings = Field(default_factory=ReplyFromSlackSettings)


DEFAULT_PRIVATE_CHANNEL = {
    "es": "mensaje directo (DM)",
    "en": "direct message (DM)",
    "pt": "mensagem direta (DM)",
}


def private_channel_for(brand: BrandSettings, lang: str | None) -> str:
    """The brand's private channel in the customer's language (DM by default)."""
    configured = brand.private_channel
    if isinstance(configured, str) and configured:
        return configured
    table = {**DEFAULT_PRIVATE_CHANNEL, **(configured if isinstance(configured, dict) else {})}
    return table.get(lang or "", "") or table.get(brand.languages[0], "") or table["en"]


class TwitterReplySettings(Strict):
    """The brand account's user-context credential for posting on X (the search bearer
    token is app-only and cannot post): an OAuth 2.0 user token, or the four OAuth 1.0a keys."""

    user_token_env: EnvName = "X_USER_ACCESS_TOKEN"
    consumer_key_env: EnvName = "X_CONSUMER_KEY"
    consumer_secret_env: EnvName = "X_CONSUMER_SECRET"
    access_token_env: EnvName = "X_ACCESS_TOKEN"
    access_token_secret_env: EnvName = "X_ACCESS_TOKEN_SECRET"


class RedditReplySettings(Strict):
    """The brand's Reddit account (password grant of the same script app as the collector)."""

    username_env: EnvName = "REDDIT_USERNAME"
    password_env: EnvName = "REDDIT_PASSWORD"


class FacebookReplySettings(Strict):
    """A Page token with pages_manage_engagement (may be the collector's)."""

    page_token_env: EnvName = "FB_PAGE_TOKEN"


class RepliesSettings(Strict):
    """Credentials for replying from Slack; read only when a brand enables it."""

    timeout_s: float = Field(default=2.0, gt=0, le=30)  # per platform call (Slack waits 3 s)
    twitter: TwitterReplySettings = Field(default_factory=TwitterReplySettings)
    reddit: RedditReplySettings = Field(default_factory=RedditReplySettings)
    facebook: FacebookReplySettings = Field(default_factory=FacebookReplySettings)


class Config(Strict):
    config_version: int = Field(default=CONFIG_VERSION, ge=1, le=CONFIG_VERSION)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    sentiment: SentimentSettings = Field(default_factory=SentimentSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    sources: SourcesSettings = Field(default_factory=SourcesSettings)
    replies: RepliesSettings = Field(default_factory=RepliesSettings)
    brands: list[BrandSettings] = Field(min_length=1)
    scripts_dir: str | None = None  # folder of response-script overrides (TOML per language)
    path: Path = Field(default=DEFAULT_CONFIG, exclude=True)

    @model_validator(mode="after")
    def _unique_brands(self) -> Config:
        names = [b.name for b in self.brands]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"brand names must be unique, repeated: {sorted(dupes)}")
        return self

    def brand(self, name: str) -> BrandSettings:
        for brand in self.brands:
            if brand.name == name:
                return brand
        raise KeyError(name)

    def resolve(self, relative: str) -> Path:
        """Paths in the config are relative to the config file's folder."""
        p = Path(relative)
        return p if p.is_absolute() else self.path.parent / p


def _key_path(loc: tuple[Any, ...], data: Any) -> str:
    """Turn pydantic's location into what the user sees in the file (brands[0] -> brands."Sol")."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            name = node[item].get("name") if isinstance(node, list) and isinstance(
                node[item], dict) else None
            parts[-1] = f"{parts[-1]}[{item}]" + (f" (name={name!r})" if name else "")
        else:
            parts.append(str(item))
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            node = None
    return ".".join(parts)


def _describe(error: Any, data: Any) -> str:
    key = _key_path(tuple(p for p in error["loc"] if not str(p).startswith("function-")), data)
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{key}: unknown key (check the spelling; see the documented config.toml)"
    if kind == "missing":
        return f"{key}: required key is missing"
    msg = error["msg"].removeprefix("Value error, ").removeprefix("Input should be ")
    msg = msg.split(", unable to")[0]
    got = error.get("input")
    if kind not in ("value_error", "assertion_error") and not isinstance(got, dict | list):
        return f"{key}: expected {msg[:1].lower() + msg[1:]}, got {got!r}"
    return f"{key}: expected {msg}"


def v1_thresholds(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """(key path, value) of each Vigía 1 `threshold` in a file without `config_version`."""
    if "config_version" in data:
        return []
    found: list[tuple[str, Any]] = []
    for i, brand in enumerate(data.get("brands") or []):
        escalation = brand.get("escalation") if isinstance(brand, dict) else None
        if isinstance(escalation, dict) and "threshold" in escalation:
            name = brand.get("name")
            found.append((f"brands[{i}]" + (f" (name={name!r})" if name else "")
                          + ".escalation.threshold", escalation["threshold"]))
    return found


def migrate_v1(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """A Vigía 1 file still loads: its thresholds (the confidence of a negative label) mean
    nothing on the P(complaint) scale, so they give way to the new default, loudly."""
    old = v1_thresholds(data)
    if not old:
        return data
    for key, value in old:
        log.warning("%s: %s = %r is a Vigía 1 setting (confidence of a 'negative' label); it "
                    "now means P(complaint) and the default %s is used instead. Run `vigia "
                    "config migrate` to update the file.", path, key, value, DEFAULT_THRESHOLD)
    brands = []
    for brand in data.get("brands") or []:
        if isinstance(brand, dict) and isinstance(brand.get("escalation"), dict):
            escalation = {k: v for k, v in brand["escalation"].items() if k != "threshold"}
            brand = {**brand, "escalation": escalation}
        brands.append(brand)
    return {**data, "brands": brands}


def parse_config(data: dict[str, Any], path: Path) -> Config:
    try:
        return Config.model_validate({**migrate_v1(data, path), "path": path})
    except ValidationError as exc:
        lines = [_describe(err, data) for err in exc.errors()]
        raise ConfigError(f"{path}: " + f"\n{path}: ".join(lines)) from None


def load_config(path: Path | str = DEFAULT_CONFIG) -> Config:
    """Read, parse and validate config.toml, raising `ConfigError` with a human message."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(
            f"{path}: config file not found (copy the documented config.toml or pass --config)"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_config(data, path)


def load_dotenv_file(path: Path) -> None:
    """Load a `.env` beside the config without overriding the real environment."""
    if path.exists():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def missing_credentials(config: Config) -> list[str]:
    """`sources.x.key: VAR` for each enabled source whose credential variable is unset."""
    missing: list[str] = []
    for name, settings in config.sources.items():
        if not settings.enabled:
            continue
        for key, var in settings.credential_envs().items():
            if not os.environ.get(var):
                missing.append(f"sources.{name}.{key}: environment variable {var} is not set")
    return missing


def require_credentials(config: Config) -> None:
    """Fail before doing any work when an enabled source cannot authenticate."""
    missing = missing_credentials(config)
    if missing:
        raise ConfigError(
            f"{config.path}: " + f"\n{config.path}: ".join(
                m + " (it is needed because the source is enabled)" for m in missing
            )
        )
