"""Matching a seeker (a request, or a group as one household) with offers: hard filters, score, reasons.

Pure functions, no database: the service loads the candidates (hard filters already in SQL) and
ranks them here. Each reason is a code with parameters, plus an English text a person understands.

A host never sees the newcomer's budget, nor anything computed from it: on the host's side
(`for_host`) the score leaves the budget out and no reason speaks of it (an "under the budget by
150 €" next to the rent would give the budget to the cent).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import date, timedelta

from services.housing.languages import LANGUAGES
from services.housing.vocabulary import ACCESSIBILITY, AREAS

# An offer free up to this many days after arrival still matches; the wait lowers the score.
MAX_WAIT_DAYS = 14
# An offer must stay available at least this long after arrival.
MIN_OVERLAP_DAYS = 28
DAYS_PER_MONTH = 30

WEIGHTS = {"languages": 40, "area": 20, "stay": 15, "budget": 10, "start": 5, "smoking": 5, "pets": 5,
           "hours": 10, "furnished": 5}
MAX_POINTS = sum(WEIGHTS.values())


@dataclass(frozen=True, slots=True)
class Seeker:
    """What matching needs to know of a request, or of a group renting as one household."""

    id: str
    kind: str                 # "request" | "group"
    arrival_date: date
    stay_months: int
    max_budget_cents: int
    household_size: int
    kind_wanted: str          # room | whole_flat | any
    areas: frozenset = frozenset()
    languages: frozenset = frozenset()
    smoker: bool = False
    has_pets: bool = False
    hours: str = "flexible"
    accessibility_needs: frozenset = frozenset()


@dataclass(frozen=True, slots=True)
class Home:
    """What matching needs to know of an offer."""

    id: str
    kind: str
    total_cents: int
    available_from: date
    available_until: date | None
    area: str
    max_occupants: int
    furnished: bool = False
    languages: frozenset = frozenset()
    smoking_allowed: bool = False
    pets_allowed: bool = False
    hours: str = "flexible"
    accessibility: frozenset = frozenset()


@dataclass
class Ranked:
    seeker_id: str
    offer_id: str
    score: int
    reasons: list = field(default_factory=list)


def seeker_of_request(request) -> Seeker:
    return Seeker(
        id=request.id, kind="request", arrival_date=request.arrival_date, stay_months=request.stay_months,
        max_budget_cents=request.max_budget_cents, household_size=request.household_size,
        kind_wanted=request.kind_wanted, areas=frozenset(request.areas or ()),
        languages=frozenset(request.languages or ()), smoker=request.smoker, has_pets=request.has_pets,
        hours=request.hours, accessibility_needs=frozenset(request.accessibility_needs or ()))


def seeker_of_group(group_id: str, requests: list) -> Seeker:
    """A group rents a whole flat as one household: budgets and sizes add up, the strictest dates hold.

    Wished areas are those every member accepts (members without a wish accept any area); languages
    are those any member speaks; needs and habits are those of any member.
    """
    wishes = [frozenset(r.areas) for r in requests if r.areas]
    areas = frozenset.intersection(*wishes) if wishes else frozenset()
    if wishes and not areas:
        areas = frozenset().union(*wishes)
    hours = {r.hours for r in requests} - {"flexible"}
    return Seeker(
        id=group_id, kind="group", arrival_date=max(r.arrival_date for r in requests),
        stay_months=min(r.stay_months for r in requests),
        max_budget_cents=sum(r.max_budget_cents for r in requests),
        household_size=sum(r.household_size for r in requests), kind_wanted="whole_flat", areas=areas,
        languages=frozenset().union(*(frozenset(r.languages) for r in requests)),
        smoker=any(r.smoker for r in requests), has_pets=any(r.has_pets for r in requests),
        hours=hours.pop() if len(hours) == 1 else "flexible",
        accessibility_needs=frozenset().union(*(frozenset(r.accessibility_needs) for r in requests)))


def home_of_offer(offer) -> Home:
    return Home(
        id=offer.id, kind=offer.kind, total_cents=offer.total_cents, available_from=offer.available_from,
        available_until=offer.available_until, area=offer.area, max_occupants=offer.max_occupants,
        furnished=offer.furnished, languages=frozenset(offer.languages or ()),
        smoking_allowed=offer.smoking_allowed, pets_allowed=offer.pets_allowed, hours=offer.hours,
        accessibility=frozenset(offer.accessibility or ()))


# -- hard filters ------------------------------------------------------------------------------
def hard_filter_failures(seeker: Seeker, home: Home, for_host: bool = False) -> list[dict]:
    """Why this home cannot suit this seeker at all; empty when it can (for a host: never the budget)."""
    failures = []
    over_budget = home.total_cents > seeker.max_budget_cents
    if over_budget and not for_host:
        failures.append(reason("over_budget", amount_cents=home.total_cents - seeker.max_budget_cents))
    if home.max_occupants < seeker.household_size:
        failures.append(reason("too_small", household_size=seeker.household_size,
                               max_occupants=home.max_occupants))
    if seeker.kind_wanted != "any" and home.kind != seeker.kind_wanted:
        failures.append(reason("other_kind", wanted=seeker.kind_wanted, offered=home.kind))
    if home.available_from > seeker.arrival_date + timedelta(days=MAX_WAIT_DAYS):
        failures.append(reason("not_free_on_arrival", days=(home.available_from - seeker.arrival_date).days))
    if home.available_until is not None and \
            home.available_until < seeker.arrival_date + timedelta(days=MIN_OVERLAP_DAYS):
        failures.append(reason("ends_too_soon", available_until=home.available_until.isoformat()))
    missing = seeker.accessibility_needs - home.accessibility
    if missing:
        failures.append(reason("accessibility_missing", needs=sorted(missing)))
    if over_budget and for_host and not failures:
        failures.append(reason("outside_criteria"))
    return failures


def passes(seeker: Seeker, home: Home) -> bool:
    return (home.total_cents <= seeker.max_budget_cents
            and home.max_occupants >= seeker.household_size
            and (seeker.kind_wanted == "any" or home.kind == seeker.kind_wanted)
            and (home.available_from - seeker.arrival_date).days <= MAX_WAIT_DAYS
            and (home.available_until is None
                 or (home.available_until - seeker.arrival_date).days >= MIN_OVERLAP_DAYS)
            and seeker.accessibility_needs <= home.accessibility)


# -- score ------------------------------------------------------------------------------------
def evaluate(seeker: Seeker, home: Home, reasons: list | None = None, for_host: bool = False) -> int:
    """Score 0-100 from the soft criteria; appends the reasons when a list is given.

    `for_host`: without the budget, neither in the points nor in the reasons."""
    points = 0.0
    common = seeker.languages & home.languages
    if common:
        points += WEIGHTS["languages"] * min(1.0, 0.75 + 0.125 * (len(common) - 1))
        if reasons is not None:
            reasons.append(reason("common_language", languages=sorted(common)))
    elif reasons is not None:
        reasons.append(reason("no_common_language"))

    if not seeker.areas:
        points += WEIGHTS["area"] / 2
        if reasons is not None:
            reasons.append(reason("any_area", area=home.area))
    elif home.area in seeker.areas:
        points += WEIGHTS["area"]
        if reasons is not None:
            reasons.append(reason("wished_area", area=home.area))
    elif reasons is not None:
        reasons.append(reason("other_area", area=home.area))

    stay_days = seeker.stay_months * DAYS_PER_MONTH
    start = max(seeker.arrival_date, home.available_from)
    if home.available_until is None or (home.available_until - seeker.arrival_date).days >= stay_days:
        points += WEIGHTS["stay"]
        if reasons is not None:
            reasons.append(reason("covers_whole_stay", months=seeker.stay_months))
    else:
        covered = max(0, (home.available_until - start).days) // DAYS_PER_MONTH
        points += WEIGHTS["stay"] * min(1.0, covered / seeker.stay_months)
        if reasons is not None:
            reasons.append(reason("covers_part_of_stay", months=covered, of_months=seeker.stay_months))

    saving = seeker.max_budget_cents - home.total_cents
    if seeker.max_budget_cents > 0 and not for_host:
        # Saving a quarter of the budget or more earns every budget point.
        points += WEIGHTS["budget"] * min(1.0, 4 * saving / seeker.max_budget_cents)
    if reasons is not None and not for_host:
        reasons.append(reason("under_budget", amount_cents=saving) if saving > 0 else reason("at_budget"))

    wait = (home.available_from - seeker.arrival_date).days
    if wait <= 0:
        points += WEIGHTS["start"]
        if reasons is not None:
            reasons.append(reason("free_on_arrival"))
    else:
        points += WEIGHTS["start"] * (1 - wait / (MAX_WAIT_DAYS + 1))
        if reasons is not None:
            reasons.append(reason("free_days_after_arrival", days=wait))

    if seeker.smoker:
        if home.smoking_allowed:
            points += WEIGHTS["smoking"]
            if reasons is not None:
                reasons.append(reason("smoking_allowed"))
        else:
            points -= 2 * WEIGHTS["smoking"]
            if reasons is not None:
                reasons.append(reason("smoking_not_allowed"))
    elif not home.smoking_allowed:
        points += WEIGHTS["smoking"]
        if reasons is not None:
            reasons.append(reason("smoke_free_home"))

    if seeker.has_pets:
        if home.pets_allowed:
            points += WEIGHTS["pets"]
            if reasons is not None:
                reasons.append(reason("pets_welcome"))
        else:
            points -= 3 * WEIGHTS["pets"]
            if reasons is not None:
                reasons.append(reason("pets_not_allowed"))
    else:
        points += WEIGHTS["pets"]

    if seeker.hours == home.hours and seeker.hours != "flexible":
        points += WEIGHTS["hours"]
        if reasons is not None:
            reasons.append(reason("same_rhythm", hours=home.hours))
    elif seeker.hours == "flexible" or home.hours == "flexible":
        points += WEIGHTS["hours"] / 2
    else:
        points -= WEIGHTS["hours"]
        if reasons is not None:
            reasons.append(reason("different_rhythm", wished=seeker.hours, home=home.hours))

    if home.furnished:
        points += WEIGHTS["furnished"]
        if reasons is not None:
            reasons.append(reason("furnished"))
    most = MAX_POINTS - (WEIGHTS["budget"] if for_host else 0)
    return max(0, min(100, round(100 * points / most)))


def rank(seeker: Seeker, homes, limit: int = 50) -> list[Ranked]:
    """The best `limit` homes for a seeker, best first (ties: the cheaper, then by id)."""
    scored = [(evaluate(seeker, home), -home.total_cents, home.id, home) for home in homes if passes(seeker, home)]
    best = heapq.nlargest(limit, scored, key=lambda item: item[:3]) if limit else sorted(scored, reverse=True)
    ranked = []
    for _score, _neg_total, _id, home in best:
        reasons: list = []
        score = evaluate(seeker, home, reasons)
        ranked.append(Ranked(seeker.id, home.id, score, reasons))
    return ranked


def rank_seekers(home: Home, seekers, limit: int = 50) -> list[Ranked]:
    """The best `limit` seekers for a home, best first: the host's view, so without the budget."""
    scored = [(evaluate(seeker, home, for_host=True), seeker.id, seeker) for seeker in seekers
              if passes(seeker, home)]
    best = heapq.nlargest(limit, scored, key=lambda item: item[:2])
    ranked = []
    for _score, _id, seeker in best:
        reasons: list = []
        score = evaluate(seeker, home, reasons, for_host=True)
        ranked.append(Ranked(seeker.id, home.id, score, reasons))
    return ranked


# -- explanations -----------------------------------------------------------------------------
def money(cents: int) -> str:
    return f"{cents // 100} €" if cents % 100 == 0 else f"{cents / 100:.2f} €"


def language_list(codes) -> str:
    names = [LANGUAGES.get(code, code) for code in codes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


HOURS_TEXT = {"quiet": "quiet evenings", "late": "late hours", "flexible": "a flexible rhythm"}

TEXTS = {
    "common_language": lambda p: f"You both speak {language_list(p['languages'])}.",
    "no_common_language": lambda p: "No language in common.",
    "any_area": lambda p: f"In {AREAS.get(p['area'], p['area'])}; any area suits.",
    "wished_area": lambda p: f"In {AREAS.get(p['area'], p['area'])}, one of the wished areas.",
    "other_area": lambda p: f"In {AREAS.get(p['area'], p['area'])}, not one of the wished areas.",
    "covers_whole_stay": lambda p: f"Available for the whole stay of {p['months']} month(s).",
    "covers_part_of_stay": lambda p: f"Available for {p['months']} of the {p['of_months']} months of the stay.",
    "under_budget": lambda p: f"Rent with charges is {money(p['amount_cents'])} under the budget.",
    "at_budget": lambda p: "Rent with charges is exactly the budget.",
    "over_budget": lambda p: f"Rent with charges is {money(p['amount_cents'])} over the budget.",
    "free_on_arrival": lambda p: "Free on arrival.",
    "free_days_after_arrival": lambda p: f"Free {p['days']} day(s) after arrival.",
    "smoking_allowed": lambda p: "Smoking is allowed in this home.",
    "smoking_not_allowed": lambda p: "Smoking is not allowed in this home.",
    "smoke_free_home": lambda p: "A smoke-free home.",
    "pets_welcome": lambda p: "Pets are welcome.",
    "pets_not_allowed": lambda p: "Pets are not allowed in this home.",
    "same_rhythm": lambda p: f"Same rhythm: {HOURS_TEXT[p['hours']]}.",
    "different_rhythm": lambda p: (f"Different rhythms: {HOURS_TEXT[p['wished']]} wished, "
                                   f"{HOURS_TEXT[p['home']]} at home."),
    "furnished": lambda p: "Furnished.",
    "too_small": lambda p: (f"Takes {p['max_occupants']} person(s); the household is "
                            f"{p['household_size']}."),
    "other_kind": lambda p: f"A {p['offered'].replace('_', ' ')}; a {p['wanted'].replace('_', ' ')} is wanted.",
    "not_free_on_arrival": lambda p: f"Free only {p['days']} days after arrival.",
    "ends_too_soon": lambda p: f"Available only until {p['available_until']}.",
    "accessibility_missing": lambda p: "Lacks " + ", ".join(ACCESSIBILITY.get(n, n) for n in p["needs"]) + ".",
    "outside_criteria": lambda p: "It no longer fits what the request looks for.",
    # roommates
    "close_arrival": lambda p: (f"You arrive {p['days']} day(s) apart." if p["days"] else
                                "You arrive on the same day."),
    "shared_area": lambda p: "You both wish to live in " + ", ".join(AREAS.get(a, a) for a in p["areas"]) + ".",
    "similar_budget": lambda p: "Your budgets are close.",
    "same_habits_smoking": lambda p: "You both smoke." if p["smoker"] else "Neither of you smokes.",
    "similar_stay": lambda p: "You plan to stay about as long.",
}


def reason(code: str, **params) -> dict:
    """A structured reason: its code, its parameters, and an English text."""
    return {"code": code, **params, "text": TEXTS[code](params)}
