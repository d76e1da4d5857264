"""Bluesky `postView`s -> `Mention` / `BrandReply`.

The external id is the post's AT URI (`at://did/app.bsky.feed.post/rkey`), so a brand reply's
`record.reply.parent.uri` equals the answered mention's `external_id`. The ordering time is
`min(createdAt, indexedAt)`, what the AppView sorts `sort=latest` by and filters `since` on:
a client can back-date `createdAt`, and a future one would otherwise jump the cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sources.base import BrandReply, Mention
from sources.iso_time import parse_iso_utc


class MalformedPost(ValueError):
    """A post we cannot normalise; logged and skipped, never fatal."""


@dataclass(frozen=True)
class Post:
    uri: str
    did: str
    handle: str
    name: str
    text: str
    created: datetime
    sort_at: datetime
    langs: tuple[str, ...]
    parent_uri: str | None
    root_uri: str | None
    data: dict[str, Any]

    @property
    def rkey(self) -> str:
        return self.uri.rsplit("/", 1)[-1]


def _time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise MalformedPost(f"{what} missing")
    try:
        return parse_iso_utc(value)
    except ValueError:
        raise MalformedPost(f"unreadable {what} {value!r}") from None


def _ref(reply: Any, key: str) -> str | None:
    ref = reply.get(key) if isinstance(reply, dict) else None
    uri = ref.get("uri") if isinstance(ref, dict) else None
    return uri if isinstance(uri, str) else None


def parse_post(raw: Any) -> Post:
    """Validate one postView; raises `MalformedPost` saying what is missing."""
    if not isinstance(raw, dict):
        raise MalformedPost(f"not an object: {str(raw)[:80]!r}")
    uri, author, record = raw.get("uri"), raw.get("author"), raw.get("record")
    if not isinstance(uri, str) or not uri.startswith("at://"):
        raise MalformedPost("post without an at:// uri")
    if not isinstance(author, dict) or not isinstance(author.get("did"), str):
        raise MalformedPost(f"post {uri} without author.did")
    if not isinstance(record, dict):
        raise MalformedPost(f"post {uri} without record")
    created = _time(record.get("createdAt"), "record.createdAt")
    indexed = _time(raw.get("indexedAt"), "indexedAt") if raw.get("indexedAt") else created
    langs = record.get("langs")
    text = record.get("text")
    handle, name = author.get("handle"), author.get("displayName")
    return Post(
        uri=uri,
        did=author["did"],
        handle=handle if isinstance(handle, str) else "",
        name=name if isinstance(name, str) and name else (handle or author["did"]),
        text=text if isinstance(text, str) else "",
        created=min(created, indexed),
        sort_at=min(created, indexed),
        langs=tuple(v for v in langs if isinstance(v, str)) if isinstance(langs, list) else (),
        parent_uri=_ref(record.get("reply"), "parent"),
        root_uri=_ref(record.get("reply"), "root"),
        data=raw,
    )


def permalink(post: Post) -> str:
    """`https://bsky.app/profile/{handle}/post/{rkey}` (the DID when the handle is missing)."""
    return f"https://bsky.app/profile/{post.handle or post.did}/post/{post.rkey}"


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def to_mention(post: Post, *, followers: int | None) -> Mention:
    """A post as a mention; `followers` None means the profile lookup gave no count."""
    extra: dict[str, Any] = {"kind": "reply" if post.parent_uri else "post"}
    if followers is None:
        extra["reach_unknown"] = True
    return Mention(
        source="bluesky",
        external_id=post.uri,
        url=permalink(post),
        author_id=post.did,
        author_handle=post.handle,
        author_name=post.name,
        text=post.text,
        created_at=post.created,
        author_reach=followers or 0,
        lang=post.langs[0] if post.langs else None,
        thread_id=post.root_uri or post.uri,
        parent_id=post.parent_uri,
        likes=_count(post.data.get("likeCount")),
        replies=_count(post.data.get("replyCount")),
        shares=_count(post.data.get("repostCount")) + _count(post.data.get("quoteCount")),
        extra=extra,
    )


def to_brand_reply(post: Post) -> BrandReply:
    """The brand's own reply: it answers the post its `reply.parent.uri` names."""
    assert post.parent_uri is not None
    return BrandReply(
        source="bluesky",
        external_id=post.uri,
        parent_external_id=post.parent_uri,
        account=post.handle or post.did,
        replied_at=post.created,
        thread_id=post.root_uri,
    )
