"""Instagram Graph comments and media -> `Mention` / `BrandReply`.

Recorded shapes (tests/fixtures/instagram/): a comment is `{id, text, timestamp, username,
like_count, user?, replies: {data: [...]}}`; `user {id}` comes back only on comments written
by the account that owns the token, which is how the brand's own replies are told apart
(its `username` as well). Replies are one level deep and chronological under their comment.
The API gives no comment permalink, so links go to the media's `permalink`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sources.base import BrandReply, Mention

SUB_FIELDS = "id,text,username,timestamp,like_count,from,user"
COMMENT_FIELDS = f"{SUB_FIELDS},replies{{{SUB_FIELDS}}}"
MEDIA_FIELDS = "id,timestamp,permalink,comments_count"
TAGGED_FIELDS = "id,caption,username,timestamp,permalink,like_count,comments_count"


class MalformedItem(ValueError):
    """A Graph item we cannot normalise; logged and skipped, never fatal."""


@dataclass(frozen=True)
class Item:
    id: str
    created: datetime
    username: str
    user_id: str | None  # `from.id` or `user.id` when the API gives one
    own: bool  # `user` present: written by the token's own account
    parent_id: str | None
    data: dict[str, Any]


def parse_time(value: Any) -> datetime:
    """Graph's `2021-08-19T09:14:16+0000`."""
    if not isinstance(value, str):
        raise MalformedItem(f"timestamp missing or not a string: {value!r}")
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        raise MalformedItem(f"unreadable timestamp {value!r}") from None


def item(raw: Any, parent_id: str | None = None) -> Item:
    """Validate one comment, reply or media; raises `MalformedItem` saying what is missing."""
    if not isinstance(raw, dict):
        raise MalformedItem(f"not an object: {str(raw)[:80]!r}")
    item_id = raw.get("id")
    if not isinstance(item_id, str) or not item_id:
        raise MalformedItem("item without id")
    created = parse_time(raw.get("timestamp"))
    user, sender = raw.get("user"), raw.get("from")
    user_id = next((str(d["id"]) for d in (sender, user) if isinstance(d, dict) and d.get("id")),
                   None)
    username = raw.get("username")
    if not isinstance(username, str) and isinstance(sender, dict):
        username = sender.get("username")
    return Item(item_id, created, username if isinstance(username, str) else "", user_id,
                isinstance(user, dict), parent_id, raw)


def clean(value: Any) -> str:
    """Text as a string that is valid Unicode: Graph's JSON can carry a lone surrogate
    (`\\ud83d`, half an emoji), which language detection and PostgreSQL reject, so it becomes
    "?" here, as storage would write it, instead of failing the page."""
    if not isinstance(value, str):
        return ""
    return value.encode("utf-8", "replace").decode("utf-8")


def replies_of(raw: dict[str, Any]) -> list[Any]:
    replies = raw.get("replies")
    data = replies.get("data") if isinstance(replies, dict) else None
    return data if isinstance(data, list) else []


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def comment_mention(it: Item, *, media_id: str, permalink: str, account: str) -> Mention:
    """A comment or reply on the brand's own media."""
    text = it.data.get("text")
    return Mention(
        source="instagram",
        external_id=it.id,
        url=permalink or "https://www.instagram.com/",
        author_id=it.user_id or "",
        author_handle=it.username,
        author_name=it.username or it.user_id or "",
        text=clean(text),
        created_at=it.created,
        thread_id=media_id,
        parent_id=it.parent_id or media_id,
        likes=_count(it.data.get("like_count")),
        replies=len(replies_of(it.data)),
        extra={"kind": "reply" if it.parent_id else "comment", "ig_user_id": account,
               "media_id": media_id},
    )


def tagged_mention(it: Item, *, account: str) -> Mention:
    """A media by someone else that tags the brand (its caption is the text)."""
    caption, url = it.data.get("caption"), it.data.get("permalink")
    return Mention(
        source="instagram",
        external_id=it.id,
        url=url if isinstance(url, str) else "https://www.instagram.com/",
        author_id=it.user_id or "",
        author_handle=it.username,
        author_name=it.username,
        text=clean(caption),
        created_at=it.created,
        thread_id=it.id,
        likes=_count(it.data.get("like_count")),
        replies=_count(it.data.get("comments_count")),
        extra={"kind": "tagged", "ig_user_id": account},
    )


def brand_reply(it: Item, *, account: str, username: str, media_id: str) -> BrandReply:
    """The brand's reply answers the comment it sits under."""
    assert it.parent_id is not None
    return BrandReply(source="instagram", external_id=it.id, parent_external_id=it.parent_id,
                      account=username or account, replied_at=it.created, thread_id=media_id)
