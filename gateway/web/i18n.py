"""Languages of the pages: which one to speak, and French sentences for the API's English messages."""
from __future__ import annotations

import re
from datetime import datetime

from babel.dates import get_day_names
from flask import Flask, request, session
from flask_babel import format_datetime, get_locale, gettext, lazy_gettext

LANGUAGES = {"fr": "Français", "en": "English"}
DEFAULT_LANGUAGE = "fr"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def select_locale() -> str:
    """The switch (kept in the session) first, then the account's preferred language, else French."""
    if request and not request.path.startswith("/api/"):
        chosen = session.get("lang")
        if chosen in LANGUAGES:
            return chosen
    return DEFAULT_LANGUAGE


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def day_name(day: str) -> str:
    return get_day_names("wide", locale=current_language())[WEEKDAYS.index(day)].capitalize()


def when(value: str | datetime | None, fmt: str = "medium") -> str:
    """An RFC 3339 time from an API, shown in Europe/Paris in the page's language."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment, fmt)


def day(value: str | datetime | None, fmt: str = "full") -> str:
    """The date of an RFC 3339 time, in Europe/Paris: jeudi 26 novembre 2026."""
    from flask_babel import format_date

    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_date(moment, fmt)


def clock(value: str | datetime | None) -> str:
    """The hour of an RFC 3339 time, in Europe/Paris: 18:00."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return format_datetime(moment, "HH:mm")


def cents(amount: int | None, currency: str = "EUR") -> str:
    from flask_babel import format_currency

    if amount is None:
        return ""
    return format_currency(amount / 100, currency)


# The API answers in English; these are the sentences it uses, translated for the pages.
# Each pattern's groups fill the placeholders of its sentence.
API_SENTENCES: list[tuple[re.Pattern, object]] = [
    (re.compile(r"^Missing data for required field\.$"), lazy_gettext("This field is required.")),
    (re.compile(r"^Field may not be null\.$"), lazy_gettext("This field is required.")),
    (re.compile(r"^Not a valid email address\.$"), lazy_gettext("This is not a valid e-mail address.")),
    (re.compile(r"^Not a valid integer\.$"), lazy_gettext("Give a whole number.")),
    (re.compile(r"^Not a valid string\.$"), lazy_gettext("This value is not valid.")),
    (re.compile(r"^Unknown field\.$"), lazy_gettext("This field is not expected.")),
    (re.compile(r"^Length must be between (?P<min>\d+) and (?P<max>\d+)\.$"),
     lazy_gettext("Use between %(min)s and %(max)s characters.")),
    (re.compile(r"^Longer than maximum length (?P<max>\d+)\.$"),
     lazy_gettext("Use at most %(max)s characters.")),
    (re.compile(r"^Shorter than minimum length (?P<min>\d+)\.$"),
     lazy_gettext("Use at least %(min)s characters.")),
    (re.compile(r"^Must be greater than or equal to (?P<min>-?\d+) and less than or equal to (?P<max>-?\d+)\.$"),
     lazy_gettext("Give a number from %(min)s to %(max)s.")),
    (re.compile(r"^Must be one of: .*\.$"), lazy_gettext("Choose one of the proposed values.")),
    (re.compile(r"^String does not match expected pattern\.$"), lazy_gettext("This value has the wrong form.")),
    (re.compile(r"^use at least 10 characters$"), lazy_gettext("Use at least 10 characters.")),
    (re.compile(r"^use at most 128 characters$"), lazy_gettext("Use at most 128 characters.")),
    (re.compile(r"^use more different characters$"), lazy_gettext("Use more different characters.")),
    (re.compile(r"^must not be your e-mail address$"),
     lazy_gettext("The password must not be your e-mail address.")),
    (re.compile(r"^already registered$"),
     lazy_gettext("An account already uses this e-mail address; sign in instead.")),
    (re.compile(r"^already used$"), lazy_gettext("This is already used.")),
    (re.compile(r"^give your current password to set a new one$"),
     lazy_gettext("Give your current password to set a new one.")),
    (re.compile(r"^not a known IANA time zone, for example Europe/Paris$"),
     lazy_gettext("This is not a known time zone; for example Europe/Paris.")),
    (re.compile(r"^unknown card number$"),
     lazy_gettext("No household has this card number: check the number on the card.")),
    (re.compile(r"^no organisation has this id$"), lazy_gettext("This organisation does not exist.")),
    (re.compile(r"^(?P<day>mon|tue|wed|thu|fri|sat|sun): times are HH:MM, for example 09:00$"),
     lazy_gettext("%(day)s: write times as HH:MM, for example 09:00.")),
    (re.compile(r"^(?P<day>mon|tue|wed|thu|fri|sat|sun): (?P<opens>\S+) must come before (?P<closes>\S+)$"),
     lazy_gettext("%(day)s: %(opens)s must come before %(closes)s.")),
    (re.compile(r"^(?P<day>mon|tue|wed|thu|fri|sat|sun): opening spans overlap$"),
     lazy_gettext("%(day)s: the opening times overlap.")),
    (re.compile(r"^The e-mail or the password is not right\.$"),
     lazy_gettext("The e-mail or the password is not right.")),
    (re.compile(r"^Give at least one field to change\.$"), lazy_gettext("Change at least one field.")),
]


def api_sentence(message: str) -> tuple[str, str | None]:
    """(sentence, lang): the translated sentence, or the English one marked lang="en" when unknown."""
    from gateway.web.forms import Said

    if isinstance(message, Said):
        return message, None
    for pattern, sentence in API_SENTENCES:
        match = pattern.match(message.strip())
        if match:
            values = match.groupdict()
            if "day" in values:
                values["day"] = day_name(values["day"])
            return str(sentence) % values if values else str(sentence), None
    return message, (None if current_language() == "en" else "en")


ROLE_NAMES = {"neighbour": lazy_gettext("neighbour"), "veilleur": lazy_gettext("volunteer on duty"),
              "admin": lazy_gettext("admin")}
ORGANISATION_KIND_NAMES = {"association": lazy_gettext("association"),
                           "citizen_group": lazy_gettext("citizen group"),
                           "public_body": lazy_gettext("public body"), "company": lazy_gettext("company"),
                           "individual": lazy_gettext("person without an organisation")}


BASKET_STATUSES = {"expected": lazy_gettext("to collect"), "absent": lazy_gettext("away, not prepared"),
                   "offered": lazy_gettext("away, offered to others"), "collected": lazy_gettext("collected"),
                   "unclaimed": lazy_gettext("not collected, given to the grocery"),
                   "not_delivered": lazy_gettext("not delivered"), "cancelled": lazy_gettext("cancelled")}
DISTRIBUTION_STATUSES = {"scheduled": lazy_gettext("open"), "closed": lazy_gettext("closed"),
                         "cancelled": lazy_gettext("cancelled")}


UNITS = {"piece": lazy_gettext("pieces"), "kg": lazy_gettext("kg"), "l": lazy_gettext("litres")}
PAYMENT_METHOD_NAMES = {"cash": lazy_gettext("cash"), "card": lazy_gettext("bank card"),
                        "cheque": lazy_gettext("cheque"), "transfer": lazy_gettext("bank transfer"),
                        "meal_voucher": lazy_gettext("meal voucher")}


def unit_name(unit: str | None) -> str:
    return str(UNITS.get(unit, unit or ""))


def payment_options(methods) -> list[tuple[str, str]]:
    return [(method, str(PAYMENT_METHOD_NAMES.get(method, method))) for method in methods]


RESERVATION_STATUSES = {"requested": lazy_gettext("waiting for a volunteer's approval"),
                        "confirmed": lazy_gettext("confirmed"), "declined": lazy_gettext("declined"),
                        "cancelled": lazy_gettext("cancelled")}


def reservation_status(status: str) -> str:
    return str(RESERVATION_STATUSES.get(status, status))


def basket_status(status: str) -> str:
    return str(BASKET_STATUSES.get(status, status))


def distribution_status(status: str) -> str:
    return str(DISTRIBUTION_STATUSES.get(status, status))


def role_name(role: str) -> str:
    return str(ROLE_NAMES.get(role, role))


def kind_name(kind: str) -> str:
    return str(ORGANISATION_KIND_NAMES.get(kind, kind))


def install_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, WEEKDAYS=WEEKDAYS, day_name=day_name,
                                 role_name=role_name, kind_name=kind_name, basket_status=basket_status,
                                 distribution_status=distribution_status, unit_name=unit_name,
                                 payment_options=payment_options, reservation_status=reservation_status,
                                 ROLES=tuple(ROLE_NAMES),
                                 current_language=current_language, api_sentence=api_sentence)
    app.jinja_env.filters.update(when=when, cents=cents, clock=clock, day=day)
    app.jinja_env.globals.setdefault("gettext", gettext)
