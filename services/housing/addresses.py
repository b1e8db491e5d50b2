"""Spotting a street address in the free text of an offer: offers show an area, never where the home is.

French addresses come in many shapes: "12 rue Solférino", "3 r. Gambetta", "au 12 de la rue
Gambetta", "12bis, bd Vauban", "rue Gambetta n°12", "59800 Lille". A street word alone is not
enough ("1 place de parking", "2 cours de yoga"): the ambiguous words need a proper name after them.
"""
from __future__ import annotations

import re

# Words that name a street whatever follows them.
STREET = (r"rue|ruelle|avenue|av|boulevard|bd|bld|blvd|allée|allee|all|impasse|imp|quai|faubourg|fbg|"
          r"sentier|venelle|esplanade|parvis|promenade|rond-point|résidence|residence|street|road")
# Words that are also common nouns: a street only when a proper name (or a number) follows.
AMBIGUOUS = r"r|place|pl|chemin|ch|cours|square|sq|route|rte|passage|voie|cité|cite|mail|clos|hameau|st"
NUMBER = r"(?:n[°o]\s*)?\d{1,4}(?:\s*[-/]\s*\d{1,4})?(?:\s*(?:bis|ter|quater|[abt])\b)?"
LINK = r"(?:(?:de|du|des|la|le|les|l['’]|d['’])\s*){0,3}"
NAME = r"(?:[A-ZÀ-ÖØ-Ý0-9][\w'’\-]*)"
_PATTERNS = [
    # 12 rue Solférino, 12bis, bd Vauban, au 12 de la rue Gambetta, n° 4 impasse des Lilas
    re.compile(rf"\b{NUMBER}\s*,?\s*{LINK}(?:{STREET})\b\.?", re.IGNORECASE),
    # 3 r. Gambetta, 8 place Rihour, 2 chemin du Moulin
    re.compile(rf"\b{NUMBER}\s*,?\s*{LINK}(?i:{AMBIGUOUS})\b\.?\s+(?i:{LINK}){NAME}"),
    # rue Gambetta n°12, Rue Gambetta, 12, place du Théâtre 3
    re.compile(rf"(?i:\b(?:{STREET}|{AMBIGUOUS})\b\.?)\s+(?i:{LINK}){NAME}(?:[\s\-]+(?i:{LINK}){NAME}){{0,3}}"
               rf"\s*,?\s*(?i:n[°o]\s*)?\d{{1,4}}\b(?!\s*(?:h\b|€|euros?|%|m²|m2|min|ans?\b|personnes?|"
               rf"chambres?|pièces?|étages?))"),
    # 59800 Lille, 59000 LILLE, 62100 Calais cedex
    re.compile(r"\b(?:0[1-9]|[1-8]\d|9[0-8]|2[AB])\d{3}\s+(?!(?i:euros?|eur)\b)[A-ZÀ-Ý][\w'’\-]+"),
]


def street_address_in(text: str | None) -> str | None:
    """The part of `text` that looks like a street address, or None."""
    if not text:
        return None
    for pattern in _PATTERNS:
        found = pattern.search(text)
        if found:
            return found.group(0)
    return None
