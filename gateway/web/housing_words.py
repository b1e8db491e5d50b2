"""Words of the housing pages: languages, rhythms, kinds and the reasons of a match, in the page's language."""
from __future__ import annotations

from babel import Locale
from flask_babel import format_date, lazy_gettext, ngettext

from gateway.web.i18n import cents, current_language

HOURS = {"quiet": lazy_gettext("quiet evenings"), "late": lazy_gettext("late hours"),
         "flexible": lazy_gettext("a flexible rhythm")}
KINDS = {"room": lazy_gettext("a room"), "whole_flat": lazy_gettext("a whole flat"),
         "any": lazy_gettext("a room or a whole flat")}
ACCESSIBILITY = {"step_free_access": lazy_gettext("step-free access"), "lift": lazy_gettext("a lift"),
                 "ground_floor": lazy_gettext("a ground-floor room"),
                 "accessible_bathroom": lazy_gettext("an accessible bathroom"),
                 "wide_doors": lazy_gettext("wide doors")}
CONSENT = {"interested": lazy_gettext("interested"), "declined": lazy_gettext("declined"),
           "withdrawn": lazy_gettext("withdrawn"), None: lazy_gettext("no answer yet")}
REPORT_REASONS = {"scam": lazy_gettext("It looks like a scam"), "already_let": lazy_gettext("It is already let"),
                  "misleading": lazy_gettext("The description is misleading"), "other": lazy_gettext("Something else")}
OFFER_STATUSES = {"pending": lazy_gettext("waiting for a volunteer's check"), "published": lazy_gettext("published"),
                  "rejected": lazy_gettext("rejected")}


def language_name(code: str) -> str:
    """As written mid-sentence: "espagnol" in French, "Spanish" in English."""
    return Locale.parse(current_language()).languages.get(code) or code


def language_list(codes) -> str:
    return ", ".join(language_name(code) for code in codes)


def word(table: dict, key) -> str:
    return str(table.get(key, key))


def reason_text(reason: dict, areas: dict) -> tuple[str, str | None]:
    """A match reason in the page's language (from its code and parameters); the API's English otherwise."""
    code = reason.get("code")
    area = areas.get(reason.get("area"), reason.get("area"))
    texts = {
        "common_language": lambda r: lazy_gettext("You both speak %(languages)s.",
                                                  languages=language_list(r["languages"])),
        "no_common_language": lambda r: lazy_gettext("No language in common."),
        "any_area": lambda r: lazy_gettext("In %(area)s; any area suits.", area=area),
        "wished_area": lambda r: lazy_gettext("In %(area)s, one of the wished areas.", area=area),
        "other_area": lambda r: lazy_gettext("In %(area)s, not one of the wished areas.", area=area),
        "covers_whole_stay": lambda r: ngettext("Available for the whole stay of %(num)s month.",
                                                "Available for the whole stay of %(num)s months.", r["months"]),
        "covers_part_of_stay": lambda r: lazy_gettext("Available for %(months)s of the %(of)s months of the stay.",
                                                      months=r["months"], of=r["of_months"]),
        "under_budget": lambda r: lazy_gettext("Rent with charges is %(amount)s under the budget.",
                                               amount=cents(r["amount_cents"])),
        "at_budget": lambda r: lazy_gettext("Rent with charges is exactly the budget."),
        "over_budget": lambda r: lazy_gettext("Rent with charges is %(amount)s over the budget.",
                                              amount=cents(r["amount_cents"])),
        "free_on_arrival": lambda r: lazy_gettext("Free on arrival."),
        "free_days_after_arrival": lambda r: ngettext("Free %(num)s day after arrival.",
                                                      "Free %(num)s days after arrival.", r["days"]),
        "smoking_allowed": lambda r: lazy_gettext("Smoking is allowed in this home."),
        "smoking_not_allowed": lambda r: lazy_gettext("Smoking is not allowed in this home."),
        "smoke_free_home": lambda r: lazy_gettext("A smoke-free home."),
        "pets_welcome": lambda r: lazy_gettext("Pets are welcome."),
        "pets_not_allowed": lambda r: lazy_gettext("Pets are not allowed in this home."),
        "same_rhythm": lambda r: lazy_gettext("Same rhythm: %(hours)s.", hours=word(HOURS, r["hours"])),
        "different_rhythm": lambda r: lazy_gettext("Different rhythms: %(wished)s wished, %(home)s at home.",
                                                   wished=word(HOURS, r["wished"]), home=word(HOURS, r["home"])),
        "furnished": lambda r: lazy_gettext("Furnished."),
        "too_small": lambda r: lazy_gettext("Takes %(max)s person(s); the household is %(size)s.",
                                            max=r["max_occupants"], size=r["household_size"]),
        "other_kind": lambda r: lazy_gettext("%(offered)s is offered; %(wanted)s is wanted.",
                                             offered=word(KINDS, r["offered"]), wanted=word(KINDS, r["wanted"])),
        "not_free_on_arrival": lambda r: lazy_gettext("Free only %(days)s days after arrival.", days=r["days"]),
        "ends_too_soon": lambda r: lazy_gettext("Available only until %(date)s.",
                                                date=format_date(_date(r["available_until"]), "long")),
        "accessibility_missing": lambda r: lazy_gettext("Lacks %(needs)s.", needs=", ".join(
            word(ACCESSIBILITY, n) for n in r["needs"])),
        "outside_criteria": lambda r: lazy_gettext("It no longer fits what the request looks for."),
        "close_arrival": lambda r: (ngettext("You arrive %(num)s day apart.", "You arrive %(num)s days apart.",
                                             r["days"]) if r["days"] else lazy_gettext("You arrive on the same day.")),
        "shared_area": lambda r: lazy_gettext("You both wish to live in %(areas)s.", areas=", ".join(
            areas.get(a, a) for a in r["areas"])),
        "similar_budget": lambda r: lazy_gettext("Your budgets are close."),
        "same_habits_smoking": lambda r: (lazy_gettext("You both smoke.") if r["smoker"]
                                          else lazy_gettext("Neither of you smokes.")),
        "similar_stay": lambda r: lazy_gettext("You plan to stay about as long."),
    }
    try:
        return str(texts[code](reason)), None
    except (KeyError, TypeError, ValueError):
        return reason.get("text") or str(code), (None if current_language() == "en" else "en")


def _date(value):
    from datetime import date

    return date.fromisoformat(value) if isinstance(value, str) else value


def housing_options(keys, namer) -> list[tuple[str, str]]:
    return [(key, str(namer(key))) for key in keys]


def language_options(languages: dict) -> list[tuple[str, str]]:
    """Every language the service knows, named in the page's language, in alphabetical order."""
    named = ((code, language_name(code)) for code in languages)
    return sorted(((code, name[:1].upper() + name[1:]) for code, name in named), key=lambda item: item[1].lower())


def install(app) -> None:
    app.jinja_env.globals.update(housing_options=housing_options, language_options=language_options,
        language_name=language_name, language_list=language_list, reason_text=reason_text,
        hours_name=lambda key: word(HOURS, key), kind_wanted_name=lambda key: word(KINDS, key),
        accessibility_name=lambda key: word(ACCESSIBILITY, key), consent_name=lambda key: word(CONSENT, key),
        offer_status=lambda key: word(OFFER_STATUSES, key), report_reason=lambda key: word(REPORT_REASONS, key),
        HOUSING_REPORT_REASONS=tuple(REPORT_REASONS), HOUSING_HOURS=tuple(HOURS),
        HOUSING_KINDS=tuple(KINDS), HOUSING_ACCESSIBILITY=tuple(ACCESSIBILITY))
