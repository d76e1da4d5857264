"""Four weeks the sandbox brand was already monitored, so its first run shows what Vigía does.

A real install starts with an empty database; a sandbox that did the same would send
marketing an empty digest and could never show a crisis (no baseline) or an SLA follow-up.
So the sandbox database starts with what a running Vigía would have stored over the last 28
days: a weekday rhythm of mentions in es/en/pt on every platform, most complaints answered by
the brand within hours, a few left unanswered, and one bad day (a double-charge incident).
They are stored as collected at the time (`fetched_at` just after each post), never served
by the emulators; the live burst of `live_spike` is, so the run's crisis check fires on it.

Deterministic (a fixed seed, times relative to the world's instant): a second run stores
nothing twice.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from monitor.sandbox.world import WorldPost, twitter_id
from monitor.storage.db import Database
from monitor.storage.mentions import store_page
from sources.base import BrandReply, Mention, Page, Query

DAYS = 28
HISTORY_QUERY = "sandbox-history"  # the query key the seeded pages are stored under
PLATFORMS = ("twitter", "twitter", "twitter", "reddit", "facebook", "instagram", "bluesky")

PRAISE = {
    "es": ["Me encantó mi compra en {b}, llegó antes de lo previsto 😍",
           "Muy buena atención de {b}, me cambiaron la talla sin problema. ¡Gracias!",
           "Segunda compra en {b} y todo perfecto, lo recomiendo"],
    "en": ["Love my order from {b}, arrived in two days!",
           "{b} support sorted my return in minutes, great service"],
    "pt": ["Adorei a compra na {b}, chegou super rápido!",
           "Atendimento excelente da {b}, recomendo"],
}
NEUTRAL = {
    "es": ["¿{b} tiene tienda física en Madrid?", "Mirando las ofertas de {b} para el finde"],
    "en": ["Does {b} have a student discount?", "Browsing the {b} summer sale"],
    "pt": ["A {b} entrega em Portugal?", "Vendo as promoções da {b}"],
}
COMPLAINT = {
    "es": ["Mi pedido de {b} lleva una semana de retraso y nadie responde",
           "{b} me mandó la talla equivocada, qué desastre de servicio",
           "Pedí un reembolso a {b} hace 15 días y sigo esperando, pésimo",
           "El paquete de {b} llegó roto y el soporte no contesta"],
    "en": ["My {b} order is a week late and support never answers, awful",
           "{b} sent me a damaged jacket and ignores my emails. Terrible."],
    "pt": ["Meu pedido da {b} está atrasado há uma semana e ninguém responde, péssimo",
           "A {b} mandou o produto errado e o suporte não responde"],
}
INCIDENT = {  # the bad day: a payment provider charged twice
    "es": ["{b} me cobró dos veces el mismo pedido, ¿qué pasa? Pésimo",
           "Cobro doble en {b}, el banco me muestra dos cargos y nadie responde",
           "Otra persona más con el cargo duplicado de {b}, horrible"],
    "en": ["{b} charged my card twice for one order, terrible"],
    "pt": ["A {b} cobrou duas vezes no meu cartão, péssimo"],
}
NAMES = {"es": ["lucia_m", "jorge.r", "carla_bcn", "dani_sur", "marta_vlc", "pablo_mx",
                "sofi_cl", "andres_ar"],
         "en": ["emma_k", "jake_shops", "olivia.t", "sam_uk"],
         "pt": ["joao_pt", "bia.santos", "rafa_br", "ines_lx"]}
BRAND_REPLY = {"es": "¡Hola! Lo sentimos, te escribimos por mensaje directo para resolverlo.",
               "en": "Hi! So sorry about this, we've sent you a DM to fix it.",
               "pt": "Olá! Pedimos desculpa, enviamos uma mensagem privada para resolver."}


def _lang(rng: random.Random) -> str:
    return rng.choices(("es", "en", "pt"), weights=(6, 2.5, 1.5))[0]


def history_posts(brand_term: str, brand_handle: str, now: datetime) -> list[WorldPost]:
    """The brand's last `DAYS` days: mentions, brand replies, an incident day 9 days ago,
    and three complaints nobody answered (es/en/pt) in the last week."""
    rng = random.Random(20261130)
    now = now.replace(minute=0, second=0, microsecond=0)
    handle = brand_handle.lstrip("@")
    posts: list[WorldPost] = []
    seq = 0

    def add(at: datetime, lang: str, text: str, *, answered_after: timedelta | None,
            reach: int = 0, platform: str | None = None) -> None:
        nonlocal seq
        seq += 1
        platform = platform or rng.choice(PLATFORMS)
        author = rng.choice(NAMES[lang])
        post_id = _post_id(platform, at, seq)
        posts.append(WorldPost(platform, post_id, f"h{seq}", author, author,
                               text.format(b=brand_term), at, followers=reach, lang=lang,
                               thread_id=post_id))
        if answered_after is not None:
            seq += 1
            reply_at = min(at + answered_after, now - timedelta(minutes=1))
            posts.append(WorldPost(platform, _post_id(platform, reply_at, seq), "brand", handle,
                                   brand_term, BRAND_REPLY[lang], reply_at, lang=lang,
                                   parent_id=post_id, thread_id=post_id, by_brand=True))

    for back in range(DAYS, 0, -1):
        day = now - timedelta(days=back)
        weekday = day.weekday()
        volume = rng.randint(6, 10) if weekday < 5 else rng.randint(3, 5)
        for _ in range(volume):
            at = day + timedelta(minutes=rng.randint(0, 23 * 60))
            lang, kind = _lang(rng), rng.random()
            if kind < 0.35:
                add(at, lang, rng.choice(COMPLAINT[lang]),
                    answered_after=timedelta(minutes=rng.randint(25, 240)),
                    reach=rng.randint(50, 3000))
            elif kind < 0.7:
                add(at, lang, rng.choice(PRAISE[lang]), answered_after=None,
                    reach=rng.randint(50, 1500))
            else:
                add(at, lang, rng.choice(NEUTRAL[lang]), answered_after=None)
        if back == 9:  # the incident: many complaints in a few hours, mostly answered late
            for _ in range(24):
                at = day + timedelta(hours=10, minutes=rng.randint(0, 240))
                lang = _lang(rng)
                add(at, lang, rng.choice(INCIDENT[lang]),
                    answered_after=timedelta(hours=rng.randint(3, 20)),
                    reach=rng.randint(50, 2000))
    # Nobody answered these (not on X: the sandbox's reply demo answers a live X complaint).
    # The last names a severity word: high priority, never folded, past its SLA.
    for hours, lang, platform, text in (
            (150, "pt", "facebook", COMPLAINT["pt"][0]), (30, "en", "reddit", COMPLAINT["en"][0]),
            (5, "es", "instagram", "Cinco días esperando mi pedido de {b} y nadie responde. "
                                   "Si hoy no me contestan, pongo una denuncia.")):
        add(now - timedelta(hours=hours), lang, text, answered_after=None, reach=400,
            platform=platform)
    return posts


def live_spike(brand_term: str, now: datetime, count: int = 16) -> list[WorldPost]:
    """A burst on X in the 40 minutes before `now` (checkout failing): the run's crisis check
    sees it. `now` is the sandbox's first run, to the second (the state file keeps it)."""
    rng = random.Random(7)
    texts = ["Pésimo, no puedo pagar en {b}, el pago da error una y otra vez y nadie responde 😡",
             "Qué desastre {b}, el pago falla siempre y el soporte no contesta. Horrible",
             "Imposible comprar en {b}, error en el pago, pésimo servicio",
             "{b} checkout is broken, payment fails every time and support ignores me. Awful."]
    out = []
    for i in range(count):
        at, text = now - timedelta(minutes=5 + 3 * i), rng.choice(texts)
        out.append(WorldPost("twitter", twitter_id(at, 100 + i), f"17{i:03d}",
                             f"{rng.choice(NAMES['es'])}{i}", "", text.format(b=brand_term),
                             at, followers=rng.randint(20, 600),
                             lang="en" if text.endswith("Awful.") else "es"))
    return out


def _post_id(platform: str, at: datetime, seq: int) -> str:
    if platform == "twitter":
        return twitter_id(at, 2000 + seq)
    if platform == "bluesky":
        return f"at://did:plc:sandboxhist{seq:05d}/app.bsky.feed.post/3lh{seq:07d}"
    return f"hist{seq:06d}"


def _url(post: WorldPost) -> str:
    if post.platform == "twitter":
        return f"https://x.com/{post.author_handle}/status/{post.id}"
    if post.platform == "reddit":
        return f"https://www.reddit.com/r/compras/comments/{post.id}/"
    if post.platform == "facebook":
        return f"https://www.facebook.com/{post.id}"
    if post.platform == "instagram":
        return f"https://www.instagram.com/p/{post.id}/"
    return f"https://bsky.app/profile/{post.author_handle}/post/{post.id.rsplit('/', 1)[-1]}"


def seed_history(db: Database, brand: str, keyword: str, posts: list[WorldPost],
                 now: datetime) -> int:
    """Store `posts` as collected at the time (one page per platform and day); the unique
    (source, external id) keys make a second call a no-op. Returns the new mentions."""
    pages: dict[tuple[str, str], Page] = defaultdict(Page)
    for post in posts:
        page = pages[(post.platform, f"{post.created_at:%Y-%m-%d}")]
        if post.by_brand:
            page.brand_replies.append(BrandReply(
                post.platform, post.id, post.parent_id or "", post.author_handle,
                post.created_at, post.thread_id))
        else:
            page.mentions.append(Mention(
                post.platform, post.id, _url(post), post.author_id, post.author_handle,
                post.author_name, post.text, post.created_at, author_reach=post.followers,
                lang=post.lang, thread_id=post.thread_id, brand=brand, keyword=keyword))
    new = 0
    for (source, _day), page in sorted(pages.items(), key=lambda kv: kv[0][1]):
        times = [m.created_at for m in page.mentions] + [r.replied_at for r in
                                                          page.brand_replies]
        with db.transaction() as session:
            new += store_page(session, source, Query(brand, HISTORY_QUERY, ""), page,
                              fetched_at=min(max(times) + timedelta(minutes=2), now)
                              ).new_mentions
    return new
