"""AMAP pages of the coordinator (a veilleur of the site): producers, season contracts with their distributions
made in bulk, moved or cancelled, any day's distributions, and the printable sign-in sheets."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext

from gateway.web import client
from gateway.web.forms import FormState, euros_to_cents, require, roles_required
from gateway.web.i18n import day, day_name
from gateway.web.pages import PageNotFound, page_error
from gateway.web.problems import explain
from gateway.web.relay import today_at
from gateway.web.values import WEEKDAYS, parse_clock, parse_day, parse_days, parse_whole, season_days

amap_staff = Blueprint("amap_staff", __name__)
amap_staff.register_error_handler(Exception, page_error)
STAFF = ("veilleur", "admin")
KIND_ROWS = 3
MAX_DISTRIBUTIONS = 60
BASKET_CATEGORIES = {
    "vegetables": lazy_gettext("vegetables"), "fruit": lazy_gettext("fruit"),
    "vegetables_and_fruit": lazy_gettext("vegetables and fruit"), "eggs": lazy_gettext("eggs"),
    "dairy": lazy_gettext("dairy products"), "bread": lazy_gettext("bread"), "meat": lazy_gettext("meat"),
    "mixed": lazy_gettext("mixed"),
}
ABSENT_BASKETS = {"not_prepared": lazy_gettext("not prepared (the producer brings fewer)"),
                  "offered": lazy_gettext("offered to the neighbours waiting for one")}
# What can go wrong with a distribution that is moved, cancelled or closed, by the problem's code.
DISTRIBUTION_CODES = {
    "distribution-closed": lazy_gettext("This distribution is closed: it can no longer change."),
    "distribution-cancelled": lazy_gettext("This distribution is cancelled: it can no longer change."),
    "delivery-checked-in": lazy_gettext("The baskets are already here: this distribution cannot move."),
    "baskets-already-collected": lazy_gettext("Baskets were already collected: close this distribution instead "
                                              "of cancelling it."),
    "not-found": lazy_gettext("This distribution no longer exists."),
}


@amap_staff.app_template_global()
def category_name(code: str) -> str:
    return str(BASKET_CATEGORIES.get(code, code))


def all_sites() -> list[dict]:
    return require(client.get("/api/sites"))


def pick_site(sites: list[dict], wanted: str | None = None) -> dict | None:
    """The site asked for, else the one chosen last in this browser session, else the first; remembered."""
    slug = wanted or request.values.get("site") or session.get("site")
    site = next((s for s in sites if s["slug"] == slug or s["id"] == slug), None) or (sites[0] if sites else None)
    if site and session.get("site") != site["slug"]:
        session["site"] = site["slug"]
    return site


def site_today(site: dict | None) -> date:
    return date.fromisoformat(today_at((site or {}).get("timezone") or "Europe/Paris"))


# -- producers -------------------------------------------------------------------------------------------
PRODUCER_FIELDS = ("name", "contact", "produce")


def producer_form(values: dict | None = None) -> FormState:
    form = FormState(values)
    form.labels = {"name": gettext("Farm name"), "contact": gettext("How to reach them"),
                   "produce": gettext("What they grow")}
    return form


def read_producer_form() -> FormState:
    form = producer_form({name: request.form.get(name, "").strip() for name in PRODUCER_FIELDS})
    if not form.values["name"]:
        form.error("name", gettext("This field is required."))
    for name, longest in (("name", 200), ("contact", 500), ("produce", 2000)):
        if len(form.values[name]) > longest:
            form.error(name, gettext("Use at most %(max)s characters.", max=longest))
    return form


@amap_staff.get("/veilleur/amap/producers")
@roles_required(*STAFF)
def producers():
    found = require(client.get("/api/relay/producers"))
    return render_template("amap/producers.html", producers=sorted(found, key=lambda p: p["name"].casefold()))


@amap_staff.route("/veilleur/amap/producers/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_producer():
    form, status = producer_form(), 200
    if request.method == "POST":
        form, status = read_producer_form(), 422
        if not form.errors:
            result = client.post("/api/relay/producers", form.values)
            if result.ok:
                flash(gettext("The producer %(name)s is registered.", name=result.body["name"]), "success")
                return redirect(url_for("amap_staff.producers"))
            explain(form, result)
            status = result.status
    return render_template("amap/producer_form.html", form=form, producer=None), status


@amap_staff.route("/veilleur/amap/producers/<producer_id>/edit", methods=["GET", "POST"])
@roles_required(*STAFF)
def edit_producer(producer_id: str):
    found = client.get(f"/api/relay/producers/{producer_id}")
    if found.status == 404:
        raise PageNotFound()
    producer = require(found)
    form, status = producer_form({name: producer.get(name, "") for name in PRODUCER_FIELDS}), 200
    if request.method == "POST":
        form, status = read_producer_form(), 422
        if not form.errors:
            result = client.patch(f"/api/relay/producers/{producer_id}", form.values)
            if result.ok:
                flash(gettext("Your changes are saved."), "success")
                return redirect(url_for("amap_staff.producers"))
            explain(form, result)
            status = result.status
    return render_template("amap/producer_form.html", form=form, producer=producer), status


# -- contracts -------------------------------------------------------------------------------------------
@amap_staff.get("/veilleur/amap")
@roles_required(*STAFF)
def index():
    sites = all_sites()
    site = pick_site(sites)
    contracts = require(client.get("/api/relay/contracts", query={"site": site["slug"]})) if site else []
    return render_template("amap/index.html", sites=sites, site=site, contracts=contracts,
                           today=site_today(site))


CONTRACT_FIELDS = ("site", "producer_id", "name", "weekday", "window_opens", "window_closes", "season_start",
                   "season_end", "skip_dates", "max_shares", "absence_allowance", "absence_cutoff_hours",
                   "absent_baskets", "openers_needed", "distributors_needed")
KIND_FIELDS = ("name", "description", "category", "price", "solidarity_price")


def contract_labels() -> dict[str, str]:
    """The fields' labels, in the order of the form."""
    labels = {"site": gettext("Place"), "producer_id": gettext("Producer"), "name": gettext("Name of the contract"),
              "basket_kinds": gettext("Basket kinds")}
    for row in range(KIND_ROWS):
        for name, label in (("name", gettext("short name")), ("description", gettext("description")),
                            ("category", gettext("what it holds")), ("price", gettext("price (euros)")),
                            ("solidarity_price", gettext("solidarity price (euros)"))):
            labels[f"kinds.{row}.{name}"] = gettext("Basket %(number)s, %(field)s", number=row + 1, field=label)
    labels |= {"weekday": gettext("Day of the week"), "window_opens": gettext("Pickup from"),
              "window_closes": gettext("Pickup until"), "season_start": gettext("First day of the season"),
              "season_end": gettext("Last day of the season"), "skip_dates": gettext("Days without distribution"),
              "max_shares": gettext("Shares on offer"), "absence_allowance": gettext("Absences per share"),
              "absence_cutoff_hours": gettext("Absences close (hours before)"),
              "absent_baskets": gettext("An absent subscriber's basket is"),
              "openers_needed": gettext("Openers needed"), "distributors_needed": gettext("Distributors needed")}
    return labels


def read_contract_form(today: date) -> tuple[FormState, dict, list[int], list[date]]:
    """The form as typed, the API body, the form rows of the basket kinds sent, and the season's days."""
    names = [*CONTRACT_FIELDS] + [f"kinds.{row}.{name}" for row in range(KIND_ROWS) for name in KIND_FIELDS]
    form = FormState({name: request.form.get(name, "").strip() for name in names})
    form.labels = contract_labels()
    values = form.values
    required = gettext("This field is required.")
    body: dict = {"site": values["site"], "producer_id": values["producer_id"], "name": values["name"],
                  "weekday": values["weekday"], "absent_baskets": values["absent_baskets"] or "not_prepared"}
    for name in ("site", "producer_id", "name"):
        if not values[name]:
            form.error(name, required)
    if values["weekday"] not in WEEKDAYS:
        form.error("weekday", gettext("Choose a day of the week."))
    for name in ("window_opens", "window_closes"):
        try:
            body[name] = parse_clock(values[name])
        except ValueError:
            form.error(name, required if not values[name] else gettext("Write a time like 18:00 or 18h30."))
    if "window_opens" in body and "window_closes" in body and body["window_closes"] <= body["window_opens"]:
        form.error("window_closes", gettext("The pickup must end after it starts."))
    season = {}
    for name in ("season_start", "season_end"):
        try:
            season[name] = parse_day(values[name], today)
            body[name] = season[name].isoformat()
        except ValueError:
            form.error(name, required if not values[name] else gettext("Write a date like 26/11/2026."))
    skipped, wrong = parse_days(values["skip_dates"], today)
    if wrong:
        form.error("skip_dates", gettext("These are not dates: %(pieces)s. Write them like 24/12/2026.",
                                         pieces=", ".join(wrong)))
    days: list[date] = []
    if len(season) == 2 and values["weekday"] in WEEKDAYS:
        if season["season_end"] < season["season_start"]:
            form.error("season_end", gettext("The season must end on or after its first day."))
        else:
            every = season_days(season["season_start"], season["season_end"], values["weekday"])
            stray = [d for d in skipped if d not in every]
            if stray:
                form.error("skip_dates", gettext("Not a distribution day of this season: %(days)s.",
                                                 days=", ".join(day(d, "long") for d in stray)))
            days = [d for d in every if d not in skipped]
            if not every:
                form.error("weekday", gettext("This day of the week does not fall within the season."))
            elif not days:
                form.error("skip_dates", gettext("Every distribution of the season is skipped."))
            elif len(days) > MAX_DISTRIBUTIONS:
                form.error("season_end", gettext("A season has at most %(n)s distributions: end it sooner.",
                                                 n=MAX_DISTRIBUTIONS))
    body["skip_dates"] = [d.isoformat() for d in skipped]
    for name, low, high, default in (("max_shares", 1, 10_000, None), ("absence_allowance", 0, 60, 0),
                                     ("absence_cutoff_hours", 0, 24 * 14, 48), ("openers_needed", 0, 10, 1),
                                     ("distributors_needed", 0, 10, 1)):
        if not values[name]:
            body[name] = default
            continue
        try:
            body[name] = parse_whole(values[name], low, high)
        except ValueError:
            form.error(name, gettext("Give a whole number from %(min)s to %(max)s.", min=low, max=high))
    kinds, rows = [], []
    for row in range(KIND_ROWS):
        typed = {name: values[f"kinds.{row}.{name}"] for name in KIND_FIELDS}
        if not (typed["name"] or typed["price"] or typed["solidarity_price"] or typed["description"]):
            continue
        kind = {"name": typed["name"], "description": typed["description"],
                "category": typed["category"] or "vegetables"}
        if not typed["name"]:
            form.error(f"kinds.{row}.name", required)
        for name, key in (("price", "price_cents"), ("solidarity_price", "solidarity_price_cents")):
            try:
                kind[key] = euros_to_cents(typed[name])
            except ValueError:
                form.error(f"kinds.{row}.{name}", gettext("Give an amount in euros, for example 12 or 12,50."))
        if kind.get("price_cents") is None and not form.errors_for(f"kinds.{row}.price"):
            form.error(f"kinds.{row}.price", required)
        if (kind.get("solidarity_price_cents") or 0) > (kind.get("price_cents") or 0) and kind.get("price_cents"):
            form.error(f"kinds.{row}.solidarity_price", gettext("A solidarity price is at most the full price."))
        if typed["name"] and typed["name"] in [k["name"] for k in kinds]:
            form.error(f"kinds.{row}.name", gettext("Two basket kinds have this name."))
        kinds.append(kind)
        rows.append(row)
    if not kinds:
        form.error("kinds.0.name", gettext("Give at least one basket kind: its name and price."))
    body["basket_kinds"] = kinds
    return form, body, rows, days


def contract_problem_words(rows: list[int]) -> tuple[dict, dict]:
    """Sentences for what the relay may still refuse, and the form fields its errors name."""
    fields = {"producer_id": gettext("This producer is no longer registered: choose another."),
              "site": gettext("The AMAP relay does not know this place yet: try again in a minute."),
              "window_closes": gettext("The pickup must end after it starts."),
              "season_end": gettext("Check the season: it ends on or after its first day, with at most %(n)s "
                                    "distributions.", n=MAX_DISTRIBUTIONS),
              "weekday": gettext("This day of the week does not fall within the season."),
              "skip_dates": gettext("Check these days: each one a distribution day of the season."),
              "basket_kinds": gettext("Check the basket kinds: each one a different name.")}
    renames = {}
    for index, row in enumerate(rows):
        for api, name in (("name", "name"), ("description", "description"), ("category", "category"),
                          ("price_cents", "price"), ("solidarity_price_cents", "solidarity_price")):
            renames[f"basket_kinds.{index}.{api}"] = f"kinds.{row}.{name}"
        fields[f"basket_kinds.{index}.solidarity_price_cents"] = gettext(
            "A solidarity price is at most the full price.")
    return fields, renames


@amap_staff.route("/veilleur/amap/contracts/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_contract():
    sites = all_sites()
    site = pick_site(sites)
    producers = sorted(require(client.get("/api/relay/producers")), key=lambda p: p["name"].casefold())
    today = site_today(site)
    form = FormState({"site": site["slug"] if site else "", "weekday": "thu", "window_opens": "18:00",
                      "window_closes": "20:00", "absence_allowance": "2", "absence_cutoff_hours": "48",
                      "absent_baskets": "not_prepared", "openers_needed": "1", "distributors_needed": "1",
                      "kinds.0.category": "vegetables", "kinds.1.category": "vegetables",
                      "kinds.2.category": "vegetables"})
    form.labels = contract_labels()
    days, status = None, 200
    if request.method == "POST":
        form, body, rows, days = read_contract_form(today)
        status = 422 if form.errors else 200
        if not form.errors and request.form.get("action") != "preview":
            result = client.post("/api/relay/contracts", body)
            if result.ok:
                flash(gettext("The contract %(name)s is created with its %(n)s distributions.",
                              name=result.body["name"], n=len(days)), "success")
                return redirect(url_for("amap_staff.contract", contract_id=result.body["id"]))
            fields, renames = contract_problem_words(rows)
            explain(form, result, fields, renames=renames)
            status, days = result.status, None
    return render_template("amap/contract_form.html", form=form, sites=sites, producers=producers,
                           producer_options=[("", gettext("Choose a producer"))] + [
                               (p["id"], p["name"]) for p in producers],
                           weekday_options=[(d, day_name(d)) for d in WEEKDAYS], days=days, kind_rows=KIND_ROWS,
                           categories=BASKET_CATEGORIES, absent_baskets=ABSENT_BASKETS), status


@amap_staff.get("/veilleur/amap/contracts/<contract_id>")
@roles_required(*STAFF)
def contract(contract_id: str):
    found = client.get(f"/api/relay/contracts/{contract_id}")
    if found.status == 404:
        raise PageNotFound()
    contract = require(found)
    distributions = require(client.get("/api/relay/distributions", query={"contract": contract_id}))
    shares = require(client.get(f"/api/relay/contracts/{contract_id}/subscriptions"))
    site = next((s for s in all_sites() if s["id"] == contract["site_id"]), None)
    return render_template("amap/contract.html", contract=contract, distributions=distributions, site=site,
                           shares=shares, taken=sum(s["quantity"] for s in shares))
