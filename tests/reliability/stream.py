"""A stream of realistic mentions across the platforms, for kill and load tests."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from monitor.sandbox.bluesky_api import at_uri
from monitor.sandbox.world import World, WorldPost, twitter_id

NEGATIVE = [
    "Pésimo servicio de Tienda Sol, mi pedido nunca llegó y nadie responde",
    "Tienda Sol me cobró dos veces y no me devuelven el dinero, una vergüenza",
    "Tienda Sol sent me a broken blender and support ignores me. Worst store ever",
    "Comprei na Tienda Sol e o produto chegou quebrado, péssimo atendimento",
]
POSITIVE = [
    "Me encantó mi compra en Tienda Sol, llegó en dos días. ¡Gracias!",
    "Tienda Sol is amazing, fast delivery and great quality, love it",
    "Adorei a Tienda Sol, entrega super rápida, recomendo!",
]
NEUTRAL = [
    "¿Tienda Sol hace envíos a Canarias?",
    "Does Tienda Sol ship to Canada?",
]


THREE = ("twitter",) * 6 + ("reddit", "facebook")
FIVE = ("twitter", "twitter", "reddit", "facebook", "instagram", "instagram", "bluesky",
        "bluesky")  # weighted towards the newest sources
IG_ACCOUNT = "17841400000000001"  # config.toml's brands.accounts.instagram
IG_MEDIA = tuple(f"179000000000{k:05d}" for k in range(4))  # the brand's own recent posts
BSKY_BRAND = ("did:plc:tiendasolbrand0000000", "tiendasol.bsky.social")  # config.toml


def stream_world(
    n: int, start: datetime, *, seed: int = 7, page_id: str = "104000000000001",
    platforms: tuple[str, ...] = THREE,
) -> tuple[World, list[WorldPost]]:
    """`n` mentions over the hour before `start` on `platforms` (drawn with repetition as
    weights: mostly X by default); every 5th negative on X, Instagram and Bluesky answered
    by the brand."""
    rng = random.Random(seed)
    world = World()
    if "instagram" in platforms:
        world.add(*[WorldPost("instagram", media, IG_ACCOUNT, "tiendasol", "Tienda Sol",
                              f"Novedades {k}", start - timedelta(hours=3 - k / 2), kind="media")
                    for k, media in enumerate(IG_MEDIA)])
    posts: list[WorldPost] = []
    negatives = 0
    for i in range(n):
        at = start - timedelta(minutes=60) + timedelta(seconds=i * 3600 / max(n, 1))
        kind = rng.choice(["neg", "neg", "pos", "neu"])
        text = rng.choice({"neg": NEGATIVE, "pos": POSITIVE, "neu": NEUTRAL}[kind])
        text = f"{text} #{i}"
        platform = rng.choice(platforms)
        if platform == "twitter":
            pid = twitter_id(at, i)
            post = WorldPost("twitter", pid, f"u{i}", f"user{i}", f"User {i}", text, at,
                             followers=rng.randint(0, 5000), lang=None, thread_id=pid)
        elif platform == "reddit":
            post = WorldPost("reddit", f"s{i:05d}", f"t2_u{i}", f"user{i}", f"user{i}", text,
                             at, thread_id=f"t3_s{i:05d}", kind="submission", subreddit="compras")
        elif platform == "facebook":
            post = WorldPost("facebook", f"{page_id}_700_{i}", f"f{i}", "", f"User {i}", text,
                             at, thread_id=f"{page_id}_700", kind="comment")
        elif platform == "instagram":
            post = WorldPost("instagram", f"18{i:015d}", f"1784555{i:05d}", f"user{i}",
                             f"user{i}", text, at, kind="comment",
                             thread_id=IG_MEDIA[i % len(IG_MEDIA)])
        else:
            post = WorldPost("bluesky", at_uri(f"did:plc:user{i:05d}", f"3lstream{i:05d}"),
                             f"did:plc:user{i:05d}", f"user{i}.bsky.social", f"User {i}", text,
                             at, followers=rng.randint(0, 5000))
        world.add(post)
        posts.append(post)
        if kind == "neg" and platform in ("instagram", "bluesky"):
            negatives += 1
            if negatives % 5 == 0:
                world.add(_brand_reply(post, i, at + timedelta(minutes=3)))
        if kind == "neg" and platform == "twitter":
            negatives += 1
            if negatives % 5 == 0:
                reply_at = at + timedelta(minutes=3)
                world.add(WorldPost("twitter", twitter_id(reply_at, 4000 + i), "9001",
                                    "tiendasol", "Tienda Sol", f"@user{i} Lo sentimos, escríbenos"
                                    " por DM", reply_at, parent_id=post.id, thread_id=post.id,
                                    by_brand=True))
    return world, posts


def _brand_reply(post: WorldPost, i: int, at: datetime) -> WorldPost:
    """The brand answering `post` on Instagram (under the comment) or Bluesky (a reply)."""
    text = f"@user{i} Lo sentimos, escríbenos por DM"
    if post.platform == "instagram":
        return WorldPost("instagram", f"19{i:015d}", IG_ACCOUNT, "tiendasol", "Tienda Sol", text,
                         at, kind="comment", thread_id=post.thread_id, parent_id=post.id,
                         by_brand=True)
    did, handle = BSKY_BRAND
    return WorldPost("bluesky", at_uri(did, f"3lreply{i:05d}"), did, handle, "Tienda Sol", text,
                     at, parent_id=post.id, thread_id=post.id, by_brand=True)
