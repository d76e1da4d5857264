"""Warnings about keywords that are valid but likely to cost more than they find.

A single everyday word as a term ("sol", "casa", "love") matches a large share of all posts in
its language. The local matcher then drops most of them, but on a pay-per-read API (X bills
every post read) they have already been paid for, and the monthly read budget can run out in
hours, after which the brand's real complaints are no longer collected.

The word lists are hand-written: everyday nouns, adjectives and verbs of our languages plus
shopping words, not a dictionary. Words too common to be keywords at all are refused earlier
(`monitor.keywords.text.STOPWORDS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monitor.keywords.text import words

_ES = """
sol luna mar cielo tierra agua fuego aire estrella flor rosa arbol playa monte rio campo
dia noche tarde manana semana mes ano hoy ayer tiempo vida mundo amor paz fe suerte casa hogar
familia amigo amiga madre padre hijo hija nino nina bebe gente mujer hombre chica chico
rojo azul verde blanco negro amarillo gris dorado oro plata color luz sombra
bueno buena malo mala bien mal mejor peor nuevo nueva viejo gran grande pequeno bonito bonita
bello bella lindo linda feliz alegre fuerte rapido facil libre real total super mega
tienda mercado compra compras venta ventas precio oferta ofertas descuento gratis envio pedido
producto marca moda ropa zapato zapatos bolso regalo caja pago cliente servicio calidad
comida cafe pan vino cerveza leche fruta carne pollo queso chocolate dulce
perro gato pajaro caballo leon tigre oso lobo
coche auto casa calle ciudad pueblo pais norte sur este oeste centro
hola gracias vamos quiero tengo hacer hace dice ver mira vale claro
"""
_EN = """
sun moon sea sky earth water fire air star flower rose tree beach mountain river field
day night morning week month year today time life world love peace faith luck home house
family friend mother father son daughter kid baby people woman man girl boy
red blue green white black yellow gray grey gold silver color colour light shadow
good bad best better worse new old big small little great nice pretty beautiful happy
strong fast easy free real total super mega
shop store market buy sale sales price deal deals discount order product brand fashion
clothes shoe shoes bag gift box pay customer service quality
food coffee bread wine beer milk fruit meat chicken cheese chocolate sweet
dog cat bird horse lion tiger bear wolf apple orange lemon
car street city town country north south east west center centre
hello thanks please want have make says see look like just now
"""
_PT = """
sol lua mar ceu terra agua fogo ar estrela flor rosa arvore praia monte rio campo
dia noite tarde manha semana mes ano hoje ontem tempo vida mundo amor paz fe sorte casa lar
familia amigo amiga mae pai filho filha menino menina bebe gente mulher homem
vermelho azul verde branco preto amarelo cinza dourado ouro prata cor luz sombra
bom boa mau ruim bem mal melhor pior novo nova velho grande pequeno bonito bonita belo bela
lindo linda feliz alegre forte rapido facil livre real total super mega
loja mercado compra compras venda vendas preco oferta ofertas desconto gratis frete pedido
produto marca moda roupa sapato bolsa presente caixa pagamento cliente servico qualidade
comida cafe pao vinho cerveja leite fruta carne frango queijo chocolate doce
cachorro gato passaro cavalo leao tigre urso lobo
carro rua cidade pais norte sul leste oeste centro
ola obrigado obrigada vamos quero tenho fazer faz diz ver olha
"""
COMMON_WORDS: dict[str, frozenset[str]] = {
    "es": frozenset(_ES.split()),
    "en": frozenset(_EN.split()),
    "pt": frozenset(_PT.split()),
}
LANGUAGE_NAMES = {"es": "Spanish", "en": "English", "pt": "Portuguese"}


@dataclass(frozen=True)
class CommonWord:
    """A term that is a single everyday word, and the languages it is everyday in."""

    term: str
    languages: tuple[str, ...]

    def describe(self) -> str:
        names = [LANGUAGE_NAMES.get(code, code) for code in self.languages]
        return f"{self.term!r} is an everyday word in {' and '.join(names)}"


def common_words(terms: Iterable[str], languages: Iterable[str] | None = None) -> list[CommonWord]:
    """The single-word `terms` that are everyday words, once each.

    `languages` limits the check to the brand's languages (None, or none we know: all we know).
    """
    wanted = [c for c in (languages or ()) if c in COMMON_WORDS] or list(COMMON_WORDS)
    found: dict[str, CommonWord] = {}
    for term in terms:
        parts = words(term)
        if len(parts) != 1 or parts[0] in found:
            continue
        langs = tuple(code for code in wanted if parts[0] in COMMON_WORDS[code])
        if langs:
            found[parts[0]] = CommonWord(term, langs)
    return list(found.values())
