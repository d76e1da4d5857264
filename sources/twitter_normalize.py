"""X API v2 payload -> `Mention` / `BrandReply`, tolerant of missing optional fields.

A tweet without `id`, `text` or `author_id` cannot be shown or answered, so it is reported
as malformed and the caller skips it; everything else has a safe default because X omits
fields it was not asked for, or that do not apply (no `referenced_tweets` on an original).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sources.base import BrandAccounts, BrandReply, Mention
from sources.iso_time import parse_iso_utc

SOURCE = "twitter"
# X's pseudo-languages: undetermined, media/hashtag/mention/cashtag-only, too short, no text
_NO_LANGUAGE = frozenset({"und", "zxx", "art", "qme", "qht", "qam", "qct", "qst", "qlm"})
_LEGACY_LANG = {"in": "id", "iw": "he", "ji": "yi"}
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


class MalformedTweet(ValueError):
    """A tweet the collector cannot use (logged and counted in `Page.skipped`)."""


@dataclass(frozen=True)
class Author:
    id: str
    username: str = ""
    name: str = ""
    followers: int = 0
    verified: bool = False


@dataclass
class Includes:
    """`includes.users` of one page, indexed by id (the only expansion normalising needs)."""

    users: dict[str, Author] = field(default_factory=dict)

    @classmethod
    def parse(cls, includes: Any) -> Includes:
        users: dict[str, Author] = {}
        raw = includes.get("users") if isinstance(includes, dict) else None
        for user in raw if isinstance(raw, list) else []:
            user = normalise_ids(user)
            if not isinstance(user, dict) or not isinstance(user.get("id"), str):
                continue
            metrics = user.get("public_metrics")
            followers = metrics.get("followers_count", 0) if isinstance(metrics, dict) else 0
            users[user["id"]] = Author(
                id=user["id"],
                username=str(user.get("username") or ""),
                name=str(user.get("name") or ""),
                followers=followers if isinstance(followers, int) else 0,
                verified=user.get("verified") is True,
            )
        return cls(users)


def unescape(text: str) -> str:
    """Undo X's escaping of exactly &, <, > (in one pass, so "&amp;lt;" stays "&lt;")."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def language(tag: Any) -> str | None:
    """X's `lang` as ISO 639-1, or None where X says it could not tell."""
    if not isinstance(tag, str) or not tag:
        return None
    tag = tag.lower().split("-")[0]
    if tag in _NO_LANGUAGE:
        return None
    return _LEGACY_LANG.get(tag, tag)


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise MalformedTweet(f"created_at missing or not a string: {value!r}")
    try:
        return parse_iso_utc(value)
    except ValueError:
        raise MalformedTweet(f"created_at not ISO 8601: {value!r}") from None


def references(tweet: dict[str, Any]) -> dict[str, str]:
    """{type: id} of `referenced_tweets` (replied_to, quoted, retweeted)."""
    refs = tweet.get("referenced_tweets")
    found: dict[str, str] = {}
    for ref in refs if isinstance(refs, list) else []:
        if isinstance(ref, dict) and isinstance(ref.get("type"), str) and ref.get("id"):
            found.setdefault(ref["type"], str(ref["id"]))
    return found


_ID_KEYS = ("id", "author_id", "conversation_id", "in_reply_to_user_id")


def _id_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def normalise_ids(obj: Any) -> Any:
    """A tweet or user object with its ids as strings, as v2 documents them.

    Proxies and old caches send ids as JSON numbers; every use (billing of reads, the
    cursor's since_id, dedup, brand-account checks) compares strings, so ids are converted
    once, when a page arrives, before anything reads them.
    """
    if not isinstance(obj, dict):
        return obj
    fixed = {k: _id_text(v) if k in _ID_KEYS else v for k, v in obj.items()}
    refs = fixed.get("referenced_tweets")
    if isinstance(refs, list):
        fixed["referenced_tweets"] = [
            {**r, "id": _id_text(r.get("id"))} if isinstance(r, dict) else r for r in refs
        ]
    edits = fixed.get("edit_history_tweet_ids")
    if isinstance(edits, list):
        fixed["edit_history_tweet_ids"] = [_id_text(e) for e in edits]
    return fixed


def check(tweet: Any) -> dict[str, Any]:
    """The tweet if it has what every use needs (id, text, author), else `MalformedTweet`."""
    if not isinstance(tweet, dict):
        raise MalformedTweet(f"not an object: {type(tweet).__name__}")
    tweet = normalise_ids(tweet)
    missing = [k for k in ("id", "text", "author_id") if not isinstance(tweet.get(k), str)]
    if missing:
        raise MalformedTweet(f"missing {', '.join(missing)}")
    if not tweet["id"].isdigit():
        raise MalformedTweet(f"id is not numeric: {tweet['id']!r}")
    return tweet


def is_retweet(tweet: dict[str, Any]) -> bool:
    """A retweet by reference or, when references were not sent (absent or `null`), by X's
    "RT @user:" prefix."""
    if isinstance(tweet.get("referenced_tweets"), list):
        return "retweeted" in references(tweet)
    return tweet["text"].startswith("RT @")


def is_brand(author: Author, accounts: BrandAccounts) -> bool:
    handles = {h.lower().lstrip("@") for h in accounts.handles}
    if author.id in accounts.ids:
        return True
    return bool(author.username) and author.username.lower() in handles


def _metric(metrics: Any, *names: str) -> int:
    if not isinstance(metrics, dict):
        return 0
    return sum(v for n in names if isinstance(v := metrics.get(n, 0), int))


def to_mention(tweet: dict[str, Any], includes: Includes) -> Mention:
    """Normalise a checked tweet; raises `MalformedTweet` on an unusable created_at."""
    author = includes.users.get(tweet["author_id"], Author(tweet["author_id"]))
    refs = references(tweet)
    metrics = tweet.get("public_metrics")
    url = (
        f"https://x.com/{author.username}/status/{tweet['id']}"
        if author.username
        else f"https://x.com/i/web/status/{tweet['id']}"
    )
    extra: dict[str, Any] = {}
    if "quoted" in refs:
        extra["quoted_id"] = refs["quoted"]
    reply_to = tweet.get("in_reply_to_user_id")
    conversation = tweet.get("conversation_id")
    return Mention(
        source=SOURCE,
        external_id=tweet["id"],
        url=url,
        author_id=author.id,
        author_handle=author.username,
        author_name=author.name,
        text=unescape(tweet["text"]),
        created_at=parse_time(tweet.get("created_at")),
        author_reach=author.followers,
        author_verified=author.verified,
        lang=language(tweet.get("lang")),
        thread_id=conversation if isinstance(conversation, str) else None,
        parent_id=refs.get("replied_to"),
        in_reply_to_user_id=reply_to if isinstance(reply_to, str) else None,
        likes=_metric(metrics, "like_count"),
        replies=_metric(metrics, "reply_count"),
        shares=_metric(metrics, "retweet_count", "quote_count"),
        extra=extra,
    )


def to_brand_reply(tweet: dict[str, Any], includes: Includes,
                   accounts: BrandAccounts) -> BrandReply | None:
    """A `BrandReply` when the tweet is the brand answering someone, else None."""
    author = includes.users.get(tweet["author_id"], Author(tweet["author_id"]))
    parent = references(tweet).get("replied_to")
    if parent is None or not is_brand(author, accounts):
        return None
    conversation = tweet.get("conversation_id")
    account = author.username or _handle_for(author.id, accounts)
    return BrandReply(
        source=SOURCE,
        external_id=tweet["id"],
        parent_external_id=parent,
        account=account,
        replied_at=parse_time(tweet.get("created_at")),
        thread_id=conversation if isinstance(conversation, str) else None,
    )


def _handle_for(user_id: str, accounts: BrandAccounts) -> str:
    """The configured handle paired with an id (handles and ids are listed in the same order)."""
    ids: Iterable[str] = accounts.ids
    for index, known in enumerate(ids):
        if known == user_id and index < len(accounts.handles):
            return accounts.handles[index]
    return accounts.handles[0] if len(accounts.handles) == 1 else user_id
