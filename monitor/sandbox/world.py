"""What the sandbox emulators serve: platform-neutral sample posts rendered per API.

Sample texts are templated with each configured brand's own first keyword and handles, so
`vigia run --once --sandbox` shows a full cycle for whatever brand the config describes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class WorldPost:
    """A post/comment on one platform; `parent_id` makes it a reply, `by_brand` the brand's."""

    platform: str  # twitter | reddit | facebook
    id: str
    author_id: str
    author_handle: str
    author_name: str
    text: str
    created_at: datetime
    followers: int = 0
    lang: str | None = None
    parent_id: str | None = None
    thread_id: str | None = None  # conversation / submission / page post
    kind: str = "post"  # twitter: tweet | reddit: submission|comment | facebook: comment|post
    subreddit: str = "all"
    likes: int = 0
    replies: int = 0
    shares: int = 0
    by_brand: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class World:
    """Thread-safe store of posts the emulators answer from; tests add posts as they go."""

    def __init__(self, posts: list[WorldPost] | None = None) -> None:
        self._lock = threading.Lock()
        self._posts: list[WorldPost] = list(posts or [])

    def add(self, *posts: WorldPost) -> None:
        with self._lock:
            self._posts.extend(posts)

    def posts(self, platform: str) -> list[WorldPost]:
        with self._lock:
            return [p for p in self._posts if p.platform == platform]

    def get(self, platform: str, post_id: str) -> WorldPost | None:
        with self._lock:
            for post in self._posts:
                if post.platform == platform and post.id == post_id:
                    return post
        return None


def twitter_id(at: datetime, sequence: int = 0) -> str:
    """Snowflake-like ids: increasing with time, like X's, so since_id ordering is real.

    Deterministic (time + sequence), so a sample world rebuilt within the same hour has the
    same ids and a second sandbox run shows deduplication rather than "new" mentions.
    """
    ms = int(at.timestamp() * 1000) - 1288834974657
    return str((ms << 22) + (sequence & 0xFFF))


def sample_world(
    brand_term: str,
    brand_handle: str,
    *,
    now: datetime | None = None,
    facebook_page_id: str = "104000000000001",
    instagram_account: str = "17841400000000001",
) -> World:
    """A small, realistic day for one brand: complaints, a brand reply, praise, a question."""
    now = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    ago = lambda minutes: now - timedelta(minutes=minutes)  # noqa: E731
    handle = brand_handle.lstrip("@")
    t_complaint_at, t_wrong_at, t_reply_at = ago(95), ago(80), ago(41)
    t_complaint = twitter_id(t_complaint_at, 1)
    t_wrong = twitter_id(t_wrong_at, 2)
    posts = [
        WorldPost("twitter", t_complaint, "1501", "laurag_mx", "Laura G.",
                  f"@{handle} Pésimo servicio de {brand_term}, mi pedido nunca llegó y nadie "
                  "responde. Llevo 2 semanas esperando, ¿esto es una estafa? 😡",
                  t_complaint_at, followers=2310, lang="es", thread_id=t_complaint, likes=14,
                  replies=3),
        WorldPost("twitter", t_wrong, "1502", "mike_shops", "Mike",
                  f"{brand_term} sent me the wrong size and support ignores my emails. "
                  "Terrible experience.", t_wrong_at, followers=180, lang="en",
                  thread_id=t_wrong),
        WorldPost("twitter", twitter_id(t_reply_at, 3), "9001", handle, brand_term,
                  "@mike_shops Hi Mike, we're sorry! Please DM us your order number and we'll "
                  "send the right size today.", t_reply_at, followers=50000, lang="en",
                  parent_id=t_wrong, thread_id=t_wrong, by_brand=True),
        WorldPost("twitter", twitter_id(ago(30), 4), "1503", "ana_compras", "Ana",
                  f"Me encantó mi compra en {brand_term}, llegó en dos días 😍 ¡Gracias!",
                  ago(30), followers=920, lang="es", likes=8),
        WorldPost("reddit", "sbx1a2", "t2_sbx01", "pedro_pt", "pedro_pt",
                  f"Comprei na {brand_term} e o produto chegou quebrado. Alguém conseguiu "
                  "devolução?", ago(70), lang=None, thread_id="t3_sbx1a2",
                  kind="submission", subreddit="compras", replies=2),
        WorldPost("facebook", f"{facebook_page_id}_5001_9101", "3901", "", "Carmen Ruiz",
                  f"Hace 3 semanas que espero el reembolso de {brand_term} y me cobraron dos "
                  "veces. ¿Alguien me puede ayudar?", ago(55),
                  thread_id=f"{facebook_page_id}_5001", kind="comment"),
        *_instagram_and_bluesky(brand_term, handle, instagram_account, ago),
    ]
    return World(posts)


def _instagram_and_bluesky(brand_term: str, handle: str, account: str,
                           ago: Any) -> list[WorldPost]:
    """An unnamed complaint under the brand's Instagram post (addressed to the brand all the
    same) answered by the brand, and a Bluesky complaint plus a brand reply to another one."""
    media = f"{account[:-4]}9001"
    bsky = "app.bsky.feed.post"
    brand_did = "did:plc:sandboxbrand0000000000"
    asked = f"at://did:plc:sandboxuser2/{bsky}/3lsbx0000002"
    return [
        WorldPost("instagram", media, account, handle, brand_term,
                  "¡Nueva colección de verano! ☀️", ago(300), kind="media"),
        WorldPost("instagram", f"{account[:-4]}9101", "17841455500001", "sofia.compras",
                  "sofia.compras", "¿Y mi pedido? Pagué hace 10 días y no me llega nada, nadie "
                  "contesta los mensajes 😤", ago(65), thread_id=media, kind="comment"),
        WorldPost("instagram", f"{account[:-4]}9102", "17841455500002", "martin_ok",
                  "martin_ok", f"Me llegó roto el pedido de {brand_term}, ¿cómo lo devuelvo?",
                  ago(50), thread_id=media, kind="comment"),
        WorldPost("instagram", f"{account[:-4]}9103", account, handle, brand_term,
                  "@martin_ok ¡Hola Martín! Te escribimos por mensaje directo para el cambio.",
                  ago(35), thread_id=media, parent_id=f"{account[:-4]}9102", kind="comment",
                  by_brand=True),
        WorldPost("bluesky", f"at://did:plc:sandboxuser1/{bsky}/3lsbx0000001",
                  "did:plc:sandboxuser1", "julia.bsky.social", "Julia",
                  f"Tercera vez que {brand_term} me cancela el envío sin avisar. No vuelvo a "
                  "comprar.", ago(45), followers=1250, lang="es"),
        WorldPost("bluesky", asked, "did:plc:sandboxuser2", "tom.bsky.social", "Tom",
                  f"Does {brand_term} ship to Portugal? Checkout keeps failing.", ago(40),
                  followers=310, lang="en"),
        WorldPost("bluesky", f"at://{brand_did}/{bsky}/3lsbx0000003", brand_did,
                  f"{handle}.bsky.social", brand_term,
                  "Hi Tom! Yes, we ship to Portugal; we've fixed checkout, try again please.",
                  ago(20), lang="en", parent_id=asked, thread_id=asked, by_brand=True),
    ]


def with_created(post: WorldPost, at: datetime) -> WorldPost:
    return replace(post, created_at=at)
