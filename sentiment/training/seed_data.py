"""Hand-written e-commerce sentences added to the UMSAB train split (see docs/sentiment.md).

Why: UMSAB is tweets about politics, sport and celebrities. It has few brand complaints, so a model
trained on it alone under-weights phrases such as "nunca llegó" or "nadie responde", which are
exactly what Vigía must catch. These sentences were written by the Vigía team for this purpose
(no copied text). They are deliberately *different* from the cases in
tests/sentiment/test_brand_cases.py, so that test still measures generalisation.

Labels: 0 negative, 1 neutral, 2 positive (UMSAB's convention).
"""

from __future__ import annotations

NEG, NEU, POS = 0, 1, 2

SEED: dict[str, list[tuple[str, int]]] = {
    "es": [
        ("Mi paquete lleva tres semanas perdido y nadie me da una solución", NEG),
        ("El producto vino defectuoso y no me quieren devolver el dinero", NEG),
        ("Horrible experiencia, el repartidor dejó la caja mojada en la puerta", NEG),
        ("Llevo días escribiendo a atención al cliente y no contestan", NEG),
        ("Me cobraron dos veces y todavía espero el reembolso", NEG),
        ("Qué vergüenza de tienda, el envío sigue sin llegar", NEG),
        ("Nunca más compro aquí, un desastre total", NEG),
        ("La calidad es malísima, se rompió al primer uso", NEG),
        ("Estafa, me mandaron un artículo distinto al que pedí", NEG),
        ("Servicio fatal, me cancelaron el pedido sin avisar", NEG),
        ("Estoy harto, el chat de soporte no sirve para nada", NEG),
        ("Pedido incompleto y caja abierta, muy decepcionado", NEG),
        ("¿A qué hora abre la tienda del centro?", NEU),
        ("¿Hacen envíos a Canarias?", NEU),
        ("Hoy hice un pedido, a ver cuándo llega", NEU),
        ("¿Dónde puedo consultar el estado de mi envío?", NEU),
        ("La nueva colección sale a la venta el lunes", NEU),
        ("¿Aceptan pago con tarjeta de débito?", NEU),
        ("Estoy comparando precios entre varias tiendas online", NEU),
        ("Me encantó el pedido, llegó antes de lo previsto", POS),
        ("Muy buena atención, resolvieron mi problema en minutos", POS),
        ("Todo perfecto, el paquete llegó impecable. ¡Gracias!", POS),
        ("Súper recomendable, envío rapidísimo y buen precio", POS),
        ("Gran servicio al cliente, muy amables", POS),
        ("Feliz con mi compra, la calidad es excelente", POS),
        ("Genial, me devolvieron el dinero sin ningún problema", POS),
        ("Repetiré seguro, una tienda de diez", POS),
    ],
    "en": [
        ("My package has been lost for two weeks and nobody helps", NEG),
        ("The item arrived damaged and they refuse to replace it", NEG),
        ("Terrible support, I have emailed five times with no answer", NEG),
        ("They charged me twice and I'm still waiting for my money back", NEG),
        ("Never ordering from this store again, total scam", NEG),
        ("Awful quality, it broke after one day", NEG),
        ("Wrong product delivered and the chat bot is useless", NEG),
        ("Order cancelled without warning, very disappointed", NEG),
        ("Delivery is a week late and tracking hasn't updated", NEG),
        ("Horrible experience, rude staff and no refund", NEG),
        ("What time does the downtown store open?", NEU),
        ("Do you ship to Canada?", NEU),
        ("Just placed an order, let's see when it arrives", NEU),
        ("Where can I check my order status?", NEU),
        ("The new collection launches on Monday", NEU),
        ("Do you accept PayPal?", NEU),
        ("Comparing prices between a few online shops", NEU),
        ("Love it, the order came earlier than expected", POS),
        ("Great support, they solved my issue in minutes", POS),
        ("Everything perfect, package arrived in great condition. Thanks!", POS),
        ("Highly recommend, super fast shipping and fair price", POS),
        ("Amazing customer service, so friendly", POS),
        ("Really happy with my purchase, excellent quality", POS),
        ("Got my refund quickly, no hassle at all", POS),
        ("Best online store, will definitely buy again", POS),
    ],
    "pt": [
        ("Meu pacote sumiu há duas semanas e ninguém resolve", NEG),
        ("O produto veio com defeito e não querem trocar", NEG),
        ("Atendimento péssimo, mandei cinco mensagens e nada de resposta", NEG),
        ("Cobraram duas vezes e até agora não devolveram o dinheiro", NEG),
        ("Nunca mais compro nessa loja, uma vergonha", NEG),
        ("Qualidade horrível, quebrou no primeiro dia", NEG),
        ("Mandaram o produto errado e o suporte não ajuda", NEG),
        ("Pedido cancelado sem aviso, muito decepcionado", NEG),
        ("A entrega está atrasada há uma semana", NEG),
        ("Que raiva, a encomenda chegou aberta e faltando peça", NEG),
        ("Que horas abre a loja do shopping?", NEU),
        ("Vocês entregam no Nordeste?", NEU),
        ("Fiz um pedido hoje, vamos ver quando chega", NEU),
        ("Onde vejo o status da minha entrega?", NEU),
        ("A nova coleção chega na segunda-feira", NEU),
        ("Aceitam pagamento por Pix?", NEU),
        ("Estou comparando preços de algumas lojas online", NEU),
        ("Amei, o pedido chegou antes do prazo", POS),
        ("Ótimo atendimento, resolveram meu problema rapidinho", POS),
        ("Tudo perfeito, a encomenda chegou impecável. Obrigada!", POS),
        ("Recomendo muito, frete rápido e preço justo", POS),
        ("Atendimento maravilhoso, muito atenciosos", POS),
        ("Muito feliz com a compra, qualidade excelente", POS),
        ("Reembolso feito sem complicação, nota dez", POS),
        ("Melhor loja online, com certeza vou comprar de novo", POS),
    ],
}


# A small polarity lexicon, each entry used as a one-phrase training example. It anchors the
# commonest complaint and praise words of online shopping, which UMSAB's tweets rarely contain.
LEXICON: dict[str, tuple[str, str]] = {
    "es": (
        "excelente|genial|encantado|encantada|maravilloso|recomendado|recomiendo|gracias|"
        "perfecto|rápido|amable|feliz|satisfecho|impecable|me encanta|lo mejor|buenísimo|"
        "fantástico|cumplen|puntual",
        "pésimo|fatal|horrible|vergüenza|estafa|decepcionado|roto|defectuoso|nunca llegó|"
        "no llega|nadie responde|no contestan|sin respuesta|reclamación|queja|lamentable|"
        "malísimo|tarde|no recomiendo|timo|devolución rechazada|indignado",
    ),
    "en": (
        "excellent|great|amazing|love|loved|recommended|recommend|thanks|thank you|perfect|"
        "fast|friendly|happy|pleased|flawless|the best|awesome|fantastic|reliable|on time",
        "worst|awful|terrible|horrible|scam|disappointed|broken|damaged|never arrived|"
        "nobody answers|no reply|no response|complaint|useless|pathetic|late|"
        "do not recommend|rip off|refund denied|furious|unacceptable",
    ),
    "pt": (
        "excelente|ótimo|ótima|amei|adorei|maravilhoso|recomendo|obrigado|obrigada|perfeito|"
        "rápido|rápida|atencioso|feliz|satisfeito|impecável|o melhor|sensacional|nota dez|"
        "no prazo",
        "péssimo|péssima|horrível|vergonha|golpe|decepcionado|quebrado|defeito|nunca chegou|"
        "não chegou|ninguém responde|sem resposta|reclamação|descaso|lamentável|atrasado|"
        "não recomendo|enganação|reembolso negado|absurdo|revoltado",
    ),
}


def seed_examples() -> list[tuple[str, str, int]]:
    """(text, iso language, label) for every hand-written sentence and lexicon entry."""
    rows = [(text, lang, label) for lang, items in SEED.items() for text, label in items]
    for lang, (positive, negative) in LEXICON.items():
        rows += [(word, lang, POS) for word in positive.split("|")]
        rows += [(word, lang, NEG) for word in negative.split("|")]
    return rows
