"""Reddit listing items (t3 submissions, t1 comments) -> `Mention` / `BrandReply`.

Ids are fullnames everywhere (`t3_abc`, `t1_xyz`): Reddit's own `parent_id` and `link_id` are
fullnames, so a brand reply's `parent_external_id` equals the answered mention's
`external_id` without any conversion that could drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sources.base import BrandReply, Mention

SITE = "https://www.reddit.com"
KINDS = ("t1", "t3")


class MalformedItem(ValueError):
    """A listing child we cannot normalise; logged and skipped, never fatal."""


@dataclass(frozen=True)
class Item:
    """The fields every decision needs, checked once: kind, fullname, time, author."""

    kind: str  # t1 | t3
    fullname: str
    created: float  # created_utc, unix seconds
    author: str
    data: dict[str, Any]


def unescape(text: str) -> str:
    """Undo the three entities Reddit HTML-escapes in some fields (even with raw_json)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse_listing(body: Any) -> tuple[list[Any], str | None]:
    """(children, after) of a Listing; anything else is a protocol error for the caller."""
    if not isinstance(body, dict) or body.get("kind") != "Listing":
        raise MalformedItem(f"expected a Listing, got {type(body).__name__}")
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("children"), list):
        raise MalformedItem("Listing without data.children")
    after = data.get("after")
    return data["children"], after if isinstance(after, str) and after else None


def item(child: Any) -> Item:
    """Validate one listing child; raises `MalformedItem` saying what is missing."""
    if not isinstance(child, dict) or child.get("kind") not in KINDS:
        raise MalformedItem(f"not a t1/t3 thing: {str(child)[:80]!r}")
    data = child.get("data")
    if not isinstance(data, dict):
        raise MalformedItem("thing without data")
    kind = child["kind"]
    name = data.get("name")
    if not isinstance(name, str) or not name.startswith(kind + "_"):
        short = data.get("id")
        if not isinstance(short, str) or not short:
            raise MalformedItem("thing without name or id")
        name = f"{kind}_{short}"
    created = data.get("created_utc")
    if not isinstance(created, int | float) or isinstance(created, bool):
        raise MalformedItem(f"{name}: no numeric created_utc")
    author = data.get("author")
    if not isinstance(author, str):
        author = ""  # a missing author loses the author, not the item (never a brand reply)
    if kind == "t1" and not isinstance(data.get("body"), str):
        raise MalformedItem(f"{name}: comment without body")
    if kind == "t3" and not isinstance(data.get("title"), str):
        raise MalformedItem(f"{name}: submission without title")
    return Item(kind, name, float(created), author, data)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def permalink(it: Item) -> str:
    """The item's URL: its `permalink` or, in older field sets without one, rebuilt from
    `subreddit`, `link_id` and `id` the way Reddit forms it (`/r/<sub>/comments/<post>/_/<c>/`).
    Without a subreddit the `/comments/...` form still resolves; "" when nothing is known."""
    data = it.data
    given = data.get("permalink")
    if isinstance(given, str) and given.startswith("/"):
        return SITE + given
    short = it.fullname[3:]
    sub = _opt_str(data.get("subreddit"))
    root = f"/r/{sub}" if sub else ""
    if it.kind == "t3":
        return f"{SITE}{root}/comments/{short}/"
    link = _opt_str(data.get("link_id"))
    if link is None or not link.startswith("t3_"):
        return ""
    return f"{SITE}{root}/comments/{link[3:]}/_/{short}/"


def created_at(it: Item) -> datetime:
    return datetime.fromtimestamp(it.created, UTC)


def to_mention(it: Item) -> Mention:
    """A submission (title + selftext) or comment (body) as a mention."""
    data = it.data
    thread_id: str | None
    if it.kind == "t3":
        title, body = unescape(data["title"]), unescape(data.get("selftext") or "")
        text = f"{title}\n\n{body}" if body.strip() else title
        thread_id, parent_id = it.fullname, None
        replies = _int(data.get("num_comments"))
    else:
        text = unescape(data["body"])
        thread_id, parent_id = _opt_str(data.get("link_id")), _opt_str(data.get("parent_id"))
        replies = 0  # a comment's num_comments in flat listings is its submission's count
    return Mention(
        source="reddit",
        external_id=it.fullname,
        url=permalink(it),
        author_id=_opt_str(data.get("author_fullname")) or "",
        author_handle=it.author,
        author_name=it.author,
        text=text,
        created_at=created_at(it),
        thread_id=thread_id,
        parent_id=parent_id,
        likes=_int(data.get("score")),
        replies=replies,
        extra={
            "kind": "submission" if it.kind == "t3" else "comment",
            "subreddit": data.get("subreddit"),
            "distinguished": data.get("distinguished"),
        },
    )


def to_brand_reply(it: Item) -> BrandReply | None:
    """A brand account's comment answering an item; None for its submissions (no parent)."""
    parent = _opt_str(it.data.get("parent_id"))
    if it.kind != "t1" or parent is None:
        return None
    return BrandReply(
        source="reddit",
        external_id=it.fullname,
        parent_external_id=parent,
        account=it.author,
        replied_at=created_at(it),
        thread_id=_opt_str(it.data.get("link_id")),
    )


def is_brand(author: str, accounts: tuple[str, ...]) -> bool:
    """Reddit usernames are case-insensitive; config may write them with /u/."""
    wanted = {a.lower().removeprefix("/u/").removeprefix("u/") for a in accounts}
    return author.lower() in wanted
