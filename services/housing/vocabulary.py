"""Closed lists the housing service accepts: areas of the Lille metropolis, accessibility, rhythms."""

# An offer names an area, never a street address; a request lists the areas it wishes.
AREAS: dict[str, str] = {
    "lille-centre": "Lille Centre",
    "vieux-lille": "Vieux-Lille",
    "wazemmes": "Wazemmes",
    "moulins": "Moulins",
    "fives": "Fives",
    "bois-blancs": "Bois-Blancs",
    "vauban-esquermes": "Vauban-Esquermes",
    "saint-maurice-pellevoisin": "Saint-Maurice Pellevoisin",
    "lille-sud": "Lille-Sud",
    "faubourg-de-bethune": "Faubourg de Béthune",
    "hellemmes": "Hellemmes",
    "lomme": "Lomme",
    "lambersart": "Lambersart",
    "la-madeleine": "La Madeleine",
    "marcq-en-baroeul": "Marcq-en-Barœul",
    "mons-en-baroeul": "Mons-en-Barœul",
    "villeneuve-d-ascq": "Villeneuve-d'Ascq",
    "loos": "Loos",
    "ronchin": "Ronchin",
    "roubaix": "Roubaix",
    "tourcoing": "Tourcoing",
    "wattrelos": "Wattrelos",
    "croix": "Croix",
    "wasquehal": "Wasquehal",
}

ACCESSIBILITY: dict[str, str] = {
    "step_free_access": "step-free access",
    "lift": "a lift",
    "ground_floor": "a ground-floor room",
    "accessible_bathroom": "an accessible bathroom",
    "wide_doors": "wide doors",
}

# The rhythm of a home: quiet evenings, late hours, or either.
HOURS = ("quiet", "late", "flexible")
OFFER_KINDS = ("room", "whole_flat")
WANTED_KINDS = ("room", "whole_flat", "any")
REPORT_REASONS = ("scam", "already_let", "misleading", "other")
CURRENCIES = ("EUR",)
