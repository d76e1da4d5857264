"""Graph posts and comments -> `Mention` / `BrandReply`.

Ids are Graph ids as returned (`<page>_<post>` for posts, `<post>_<comment>` for comments),
so a Page reply's `parent.id` equals the answered mention's `external_id`. When an item comes
without `id` (seen in recorded fixtures), it is rebuilt from `permalink_url`
(`.../posts/<post>/?comment_id=<c>&reply_comment_id=<r>` -> `<post>_<r>`), the same form the
API uses (`comment_single.json`: id `2954961744718970_2966313500250461`, permalink
`.../posts/2954961744718970/?comment_id=2966313500250461`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sources.base import BrandReply, Mention

FIELDS = "id,from,parent,created_time,message,permalink_url"
POST_FIELDS = "id,from,created_time,message,permalink_url"
_POST_IN_PATH = re.compile(r"/posts/(\d+)")


class MalformedItem(ValueError):
    """A Graph item we cannot normalise; logged and skipped, never fatal."""


@dataclass(frozen=True)
class Item:
    """An item's checked essentials: id, time, author (None when `from` was withheld)."""

    id: str
    created: datetime
    author_id: str | None
    author_name: str
    parent_id: str | None
    data: dict[str, Any]


def parse_time(value: Any) -> datetime:
    """Graph's `2021-08-10T18:45:03+0000`, always as aware UTC.

    Graph times are UTC; a time sent without an offset (`2021-08-10T18:45:03`, seen from
    some endpoints and proxies) is read as UTC too: a naive datetime would be refused by the
    database and, before this, failed the whole page on every poll.
    """
    if not isinstance(value, str):
        raise MalformedItem(f"created_time missing or not a string: {value!r}")
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise MalformedItem(f"unreadable created_time {value!r}") from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def ids_from_permalink(url: Any) -> tuple[str, str | None] | None:
    """(comment id, parent comment id) rebuilt from a comment permalink, or None."""
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    post = _POST_IN_PATH.search(parts.path)
    query = parse_qs(parts.query)
    comment = next(iter(query.get("comment_id", [])), None)
    if post is None or comment is None:
        return None
    reply = next(iter(query.get("reply_comment_id", [])), None)
    if reply:
        return f"{post[1]}_{reply}", f"{post[1]}_{comment}"
    return f"{post[1]}_{comment}", None


def item(raw: Any) -> Item:
    """Validate one post/comment; raises `MalformedItem` saying what is missing."""
    if not isinstance(raw, dict):
        raise MalformedItem(f"not an object: {str(raw)[:80]!r}")
    item_id = raw.get("id")
    parent = raw.get("parent")
    parent_id = parent.get("id") if isinstance(parent, dict) else None
    if not isinstance(item_id, str) or not item_id:
        rebuilt = ids_from_permalink(raw.get("permalink_url"))
        if rebuilt is None:
            raise MalformedItem("item without id (and no comment permalink to rebuild it)")
        item_id, parent_id = rebuilt[0], parent_id or rebuilt[1]
    created = parse_time(raw.get("created_time"))
    author = raw.get("from")
    author_id = author.get("id") if isinstance(author, dict) else None
    name = author.get("name") if isinstance(author, dict) else None
    return Item(
        id=item_id,
        created=created,
        author_id=str(author_id) if author_id else None,
        author_name=name if isinstance(name, str) else "",
        parent_id=str(parent_id) if parent_id else None,
        data=raw,
    )


def _count(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, dict):  # {"summary": {"total_count": n}} or {"count": n}
        summary = value.get("summary")
        if isinstance(summary, dict):
            return _count(summary.get("total_count"))
        return _count(value.get("count"))
    return 0


def to_mention(it: Item, *, kind: str, page_id: str, thread_id: str | None) -> Mention:
    """A comment, visitor post or tagging post as a mention.

    Without `from` (Graph withholds it when it will not say who wrote an item) the author is
    unknown, so the item may be the Page's own post or reply: it is kept, with
    `extra["author_unknown"] = True`, so a complaint is not lost, and escalation must never
    alert on it as a customer's mention.
    """
    message = it.data.get("message")
    url = it.data.get("permalink_url")
    return Mention(
        source="facebook",
        external_id=it.id,
        url=url if isinstance(url, str) else f"https://www.facebook.com/{it.id}",
        author_id=it.author_id or "",
        author_handle="",  # Graph exposes no user handles
        author_name=it.author_name,
        text=message if isinstance(message, str) else "",
        created_at=it.created,
        thread_id=thread_id,
        parent_id=it.parent_id or (thread_id if kind == "comment" else None),
        likes=_count(it.data.get("like_count")) or _count(it.data.get("reactions")),
        replies=_count(it.data.get("comment_count")) or _count(it.data.get("comments")),
        shares=_count(it.data.get("shares")),
        extra={"kind": kind, "page_id": page_id,
               **({"author_unknown": True} if it.author_id is None else {})},
    )


def to_page_reply(it: Item, *, answered: str, page_id: str, thread_id: str) -> BrandReply:
    """The Page's own comment answering `answered` (a comment id, or a visitor post id)."""
    return BrandReply(
        source="facebook",
        external_id=it.id,
        parent_external_id=answered,
        account=page_id,
        replied_at=it.created,
        thread_id=thread_id,
    )
