"""The contract of a platform reply module: post one public reply as the brand, or find it.

Reading is safe to repeat; writing is not. A reply module therefore offers two calls: `post`
(the write) and `find` (has the brand already answered this item, since when?), so the caller
can look before it retries a write whose outcome it does not know (a timeout, a crash between
the platform call and the database commit). Failures are one typed `ReplyError` whose
`definite` flag says whether the platform certainly did *not* post: only then may the same
text be sent again without looking first. Messages are plain words for the person in Slack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal, Protocol

ErrorKind = Literal[
    "forbidden",  # the platform does not let the brand reply here (X reply settings...)
    "duplicate",  # the same text was already posted (X duplicate content)
    "rate_limited",  # wait until `retry_at`
    "gone",  # the post was deleted, locked or archived
    "permission",  # the credential lacks a permission/scope (Graph 10/200)
    "auth",  # the credential is missing, wrong or expired (401, Graph 190)
    "invalid",  # the platform refused the request itself (Graph 100, bad id, too long)
    "transient",  # 5xx: nothing was posted, try again later
    "uncertain",  # timeout or broken connection: it may or may not have been posted
]


@dataclass(frozen=True)
class ReplyTarget:
    """The item to answer, as stored when it was collected."""

    source: str
    external_id: str  # tweet id, Reddit id (t1_/t3_ fullname or bare), Graph object id
    thread_id: str | None = None
    author_handle: str = ""
    url: str = ""


@dataclass(frozen=True)
class PostedReply:
    """A reply the brand account has on the platform (just posted, or found when looking)."""

    external_id: str
    permalink: str
    account: str  # the brand account (handle, username or Page id) that posted it
    posted_at: datetime | None = None
    text: str = ""


class ReplyError(Exception):
    """The platform did not take the reply; `message` is for the person who pressed Send."""

    def __init__(self, kind: ErrorKind, message: str, *, retry_at: datetime | None = None,
                 definite: bool = True) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.retry_at = retry_at
        self.definite = definite and kind != "uncertain"


class Replier(Protocol):
    """Posts replies as the brand on one platform. Registered in `sources.replies.REPLIERS`."""

    source: ClassVar[str]
    limit: ClassVar[int]  # characters a reply may have on this platform

    def post(self, target: ReplyTarget, text: str) -> PostedReply:
        """Publish `text` as the brand in reply to `target`; `ReplyError` on refusal."""
        ...

    def find(self, target: ReplyTarget, since: datetime) -> PostedReply | None:
        """The brand's own reply to `target` posted after `since`, if any (read-only)."""
        ...

    def verify(self) -> str:
        """Check the credential with a read-only call; the account it posts as."""
        ...

    def close(self) -> None:
        """Release HTTP sessions."""
        ...
