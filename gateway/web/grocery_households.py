"""Grocery pages, continued: the households of a place, found by card number, renewed and ended.
Routes of the `grocery_staff` blueprint."""
from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from gateway.web import client
from gateway.web.amap_staff import all_sites, pick_site
from gateway.web.forms import FormState, cents_to_euros, euros_to_cents, require, roles_required
from gateway.web.grocery_staff import GROCERY_STAFF, HOUSEHOLD_CODES, HOUSEHOLD_STATUSES, grocery_staff
from gateway.web.i18n import cents, day
from gateway.web.pages import PageNotFound
from gateway.web.problems import explain
from gateway.web.values import parse_whole


# -- households ------------------------------------------------------------------------------------------
def card_key(text: str) -> str:
    """"epi-7k3m q9tz", "7K3MQ9TZ" and "EPI-7K3M-Q9TZ" are the same card."""
    key = re.sub(r"[^A-Z0-9]", "", (text or "").upper())
    return key[3:] if key.startswith("EPI") and len(key) > 8 else key


@grocery_staff.get("/households")
@roles_required(*GROCERY_STAFF)
def households():
    sites = all_sites()
    site = pick_site(sites)
    status = request.args.get("status", "")
    query = {"site": site["slug"]} | ({"status": status} if status in HOUSEHOLD_STATUSES else {})
    found = require(client.get("/api/grocery/households", query=query)) if site else []
    card = request.args.get("card", "").strip()
    if card:
        found = [h for h in found if card_key(card) in card_key(h["card_number"])]
    order = {"eligible": 0, "ineligible": 1, "expired": 2, "ended": 3}
    found.sort(key=lambda h: (order.get(h["status"], 4), h.get("eligible_until") or "", h["card_number"]))
    return render_template("grocery_staff/households.html", sites=sites, site=site, households=found, card=card,
                           status=status, statuses=HOUSEHOLD_STATUSES)


def household_or_404(household_id: str) -> dict:
    found = client.get(f"/api/grocery/households/{household_id}")
    if found.status == 404:
        raise PageNotFound()
    return require(found)


def renew_labels() -> dict[str, str]:
    return {"referrer_organisation": gettext("Referring social service"),
            "household_size": gettext("People in the household"),
            "resources": gettext("Monthly resources (euros)"), "charges": gettext("Monthly fixed charges (euros)")}


def household_page(household_id: str, renew: FormState | None = None, end: FormState | None = None,
                   status: int = 200):
    household = household_or_404(household_id)
    site = next((s for s in all_sites() if s["id"] == household["site_id"]), None)
    if renew is None:
        renew = FormState({"referrer_organisation": household["referrer_organisation"],
                           "household_size": str(household["household_size"]),
                           "resources": cents_to_euros(household["monthly_resources_cents"]).replace(".", ","),
                           "charges": cents_to_euros(household["fixed_charges_cents"]).replace(".", ",")})
    renew.labels = renew_labels()
    end = end or FormState()
    end.labels = {"confirm": gettext("The access of this card ends today")}
    return render_template("grocery_staff/household.html", household=household, site=site, renew=renew, end=end,
                           decisions=list(reversed(household.get("decisions") or []))), status


@grocery_staff.get("/households/<household_id>")
@roles_required(*GROCERY_STAFF)
def household(household_id: str):
    return household_page(household_id)


@grocery_staff.post("/households/<household_id>/renew")
@roles_required(*GROCERY_STAFF)
def renew(household_id: str):
    current = household_or_404(household_id)
    form = FormState({name: request.form.get(name, "").strip() for name in renew_labels()})
    body: dict = {}
    if not form.values["referrer_organisation"]:
        form.error("referrer_organisation", gettext("This field is required."))
    elif form.values["referrer_organisation"] != current["referrer_organisation"]:
        body["referrer_organisation"] = form.values["referrer_organisation"]
    try:
        size = parse_whole(form.values["household_size"], 1, 20)
        if size != current["household_size"]:
            body["household_size"] = size
    except ValueError:
        form.error("household_size", gettext("Give a whole number from %(min)s to %(max)s.", min=1, max=20))
    for name, key in (("resources", "monthly_resources_cents"), ("charges", "fixed_charges_cents")):
        try:
            amount = euros_to_cents(form.values[name])
        except ValueError:
            amount = None
        if amount is None:
            form.error(name, gettext("Give an amount in euros, for example 450."))
        elif amount != current[key]:
            body[key] = amount
    if form.errors:
        return household_page(household_id, renew=form, status=422)
    result = client.post(f"/api/grocery/households/{household_id}/renew", body)
    if not result.ok:
        explain(form, result, codes=HOUSEHOLD_CODES, renames={"monthly_resources_cents": "resources",
                                                              "fixed_charges_cents": "charges"})
        return household_page(household_id, renew=form, status=result.status)
    renewed = result.body
    if renewed["status"] == "eligible":
        flash(gettext("Renewed: access until %(date)s, monthly cap %(amount)s.", date=day(renewed["eligible_until"],
              "long"), amount=cents(renewed["monthly_cap_cents"])), "success")
    else:
        flash(gettext("Judged again: with these figures the household is not eligible."), "info")
    return redirect(url_for("grocery_staff.household", household_id=household_id))


@grocery_staff.post("/households/<household_id>/end")
@roles_required(*GROCERY_STAFF)
def end(household_id: str):
    form = FormState({"confirm": request.form.get("confirm", "")})
    if form.values["confirm"] != "yes":
        form.error("confirm", gettext("Tick the box to confirm that this household's access ends today."))
        return household_page(household_id, end=form, status=422)
    result = client.post(f"/api/grocery/households/{household_id}/end")
    if not result.ok:
        explain(form, result, codes=HOUSEHOLD_CODES)
        return household_page(household_id, end=form, status=result.status)
    flash(gettext("The access of card %(card)s is ended.", card=result.body["card_number"]), "success")
    return redirect(url_for("grocery_staff.household", household_id=household_id))
