"""Clear, hand-written brand mentions the bundled model must get right (>= 90%).

These are not in the training data (sentiment/training/seed_data.py holds different sentences),
so this measures whether the model generalises to the complaints Vigía exists to catch.
"""

from __future__ import annotations

import pytest

from sentiment.bundled import BundledScorer

CASES: list[tuple[str, str, str]] = [
    ("Pésimo servicio, mi pedido nunca llegó", "es", "negative"),
    ("Mi pedido llegó roto y nadie responde", "es", "negative"),
    ("Excelente atención, llegó en dos días, gracias!", "es", "positive"),
    ("Llevo un mes esperando el reembolso, una vergüenza", "es", "negative"),
    ("El paquete nunca apareció y el soporte no contesta", "es", "negative"),
    ("Me encanta esta tienda, siempre cumplen", "es", "positive"),
    ("Muy contenta con la compra, todo llegó perfecto", "es", "positive"),
    ("¿Cuál es el horario de atención al cliente?", "es", "neutral"),
    ("Malísima calidad, se despegó la suela en una semana", "es", "negative"),
    ("Gracias por la rapidez, muy recomendable", "es", "positive"),
    ("Worst customer service ever, still no refund", "en", "negative"),
    ("My order arrived broken and nobody answers", "en", "negative"),
    ("Fantastic service, delivered in two days, thank you!", "en", "positive"),
    ("Still waiting for my parcel after three weeks, useless company", "en", "negative"),
    ("I love this shop, they never disappoint", "en", "positive"),
    ("Really pleased with the quality, great value", "en", "positive"),
    ("What are your customer service hours?", "en", "neutral"),
    ("Terrible experience, the package was stolen and they blame me", "en", "negative"),
    ("Thanks for the quick help, highly recommended", "en", "positive"),
    ("Do you have this jacket in blue?", "en", "neutral"),
    ("Produto chegou quebrado e ninguém responde", "pt", "negative"),
    ("Adorei, entrega super rápida", "pt", "positive"),
    ("Péssimo atendimento, meu pedido nunca chegou", "pt", "negative"),
    ("Estou esperando o reembolso há um mês, que descaso", "pt", "negative"),
    ("Excelente loja, chegou tudo certinho, obrigado!", "pt", "positive"),
    ("Amei o produto, qualidade incrível", "pt", "positive"),
    ("Qual o horário de funcionamento do SAC?", "pt", "neutral"),
    ("Comprei e veio com defeito, não recomendo", "pt", "negative"),
    ("Atendimento nota mil, super atenciosos", "pt", "positive"),
    ("Vocês têm esse tênis no tamanho 40?", "pt", "neutral"),
]


@pytest.fixture(scope="module")
def scorer() -> BundledScorer:
    return BundledScorer()


def test_bundled_model_gets_clear_brand_mentions_right(scorer: BundledScorer) -> None:
    texts = [t for t, _, _ in CASES]
    scores = scorer.score(texts, [lang for _, lang, _ in CASES])
    wrong = [(t, gold, s.label) for (t, _, gold), s in zip(CASES, scores, strict=True)
             if s.label != gold]
    accuracy = 1 - len(wrong) / len(CASES)
    assert accuracy >= 0.9, f"{accuracy:.0%} right; wrong: {wrong}"


def test_clear_complaints_are_negative_even_without_language(scorer: BundledScorer) -> None:
    negatives = [t for t, _, gold in CASES if gold == "negative"]
    labels = [s.label for s in scorer.score(negatives)]
    assert labels.count("negative") / len(labels) >= 0.8
