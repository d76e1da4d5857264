"""A stream of realistic mentions across the three platforms, for kill and load tests."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

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


def stream_world(
    n: int, start: datetime, *, seed: int = 7, page_id: str = "104000000000001"
) -> tuple[World, list[WorldPost]]:
    """`n` mentions over the hour before `start`, mostly on X; every 5th negative answered."""
    rng = random.Random(seed)
    world = World()
    posts: list[WorldPost] = []
    negatives = 0
    for i in range(n):
        at = start - timedelta(minutes=60) + timedelta(seconds=i * 3600 / max(n, 1))
        kind = rng.choice(["neg", "neg", "pos", "neu"])
        text = rng.choice({"neg": NEGATIVE, "pos": POSITIVE, "neu": NEUTRAL}[kind])
        text = f"{text} #{i}"
        platform = rng.choice(["twitter"] * 6 + ["reddit", "facebook"])
        if platform == "twitter":
            pid = twitter_id(at, i)
            post = WorldPost("twitter", pid, f"u{i}", f"user{i}", f"User {i}", text, at,
                             followers=rng.randint(0, 5000), lang=None, thread_id=pid)
        elif platform == "reddit":
            post = WorldPost("reddit", f"s{i:05d}", f"t2_u{i}", f"user{i}", f"user{i}", text,
                             at, thread_id=f"t3_s{i:05d}", kind="submission", subreddit="compras")
        else:
            post = WorldPost("facebook", f"{page_id}_700_{i}", f"f{i}", "", f"User {i}", text,
                             at, thread_id=f"{page_id}_700", kind="comment")
        world.add(post)
        posts.append(post)
        if kind == "neg" and platform == "twitter":
            negatives += 1
            if negatives % 5 == 0:
                reply_at = at + timedelta(minutes=3)
                world.add(WorldPost("twitter", twitter_id(reply_at, 4000 + i), "9001",
                                    "tiendasol", "Tienda Sol", f"@user{i} Lo sentimos, escríbenos"
                                    " por DM", reply_at, parent_id=post.id, thread_id=post.id,
                                    by_brand=True))
    return world, posts
