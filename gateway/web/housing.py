"""Housing pages: requests and offers, ranked matches with their reasons, consent, messages, groups, review."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from gateway.web import client
from gateway.web.forms import (
    FormState,
    euros_to_cents,
    raise_for_session,
    require,
    roles_required,
    safe_next,
    signed_in,
)
from gateway.web.pages import page_error

housing_pages = Blueprint("housing", __name__, url_prefix="/housing")
housing_pages.register_error_handler(Exception, page_error)
STAFF = ("veilleur", "admin")
ANSWERS = {"interest": "interest", "decline": "decline", "withdraw": "withdraw"}


def vocabulary() -> dict:
    return require(client.get("/api/housing/vocabulary"))


def contact_default() -> str:
    me = client.get("/api/accounts/me")
    return me.body.get("email", "") if me.ok else ""


@housing_pages.get("")
@signed_in
def index():
    requests_ = require(client.get("/api/housing/requests/mine"))
    offers = require(client.get("/api/housing/offers/mine"))
    return render_template("housing/index.html", requests=requests_, offers=offers, vocabulary=vocabulary())


# -- requests ----------------------------------------------------------------------------------------
REQUEST_FIELDS = ("arrival_date", "stay_months", "budget", "household_size", "kind_wanted", "hours",
                  "max_roommates", "about", "contact_email", "contact_phone")


def read_request_form() -> tuple[FormState, dict]:
    form = FormState({name: request.form.get(name, "").strip() for name in REQUEST_FIELDS})
    form.values.update(areas=request.form.getlist("areas"), languages=request.form.getlist("languages"),
                       accessibility_needs=request.form.getlist("accessibility_needs"),
                       smoker=request.form.get("smoker", ""), has_pets=request.form.get("has_pets", ""))
    body = {"arrival_date": form.values["arrival_date"] or None, "kind_wanted": form.values["kind_wanted"],
            "hours": form.values["hours"], "about": form.values["about"], "areas": form.values["areas"],
            "languages": form.values["languages"], "accessibility_needs": form.values["accessibility_needs"],
            "smoker": form.values["smoker"] == "yes", "has_pets": form.values["has_pets"] == "yes",
            "contact_email": form.values["contact_email"] or None,
            "contact_phone": form.values["contact_phone"] or None}
    for name in ("stay_months", "household_size", "max_roommates"):
        if form.values[name].isdigit():
            body[name] = int(form.values[name])
        else:
            form.error(name, gettext("Give a whole number."))
    try:
        body["max_budget_cents"] = euros_to_cents(form.values["budget"])
        if body["max_budget_cents"] is None:
            form.error("budget", gettext("This field is required."))
    except ValueError:
        form.error("budget", gettext("Give an amount in euros, for example 450."))
    return form, body


def rename_errors(form: FormState, renames: dict) -> None:
    for api_name, form_name in renames.items():
        if api_name in form.errors:
            form.errors.setdefault(form_name, []).extend(form.errors.pop(api_name))


@housing_pages.route("/requests/new", methods=["GET", "POST"])
@signed_in
def new_request():
    form = FormState({"stay_months": "6", "household_size": "1", "kind_wanted": "any", "hours": "flexible",
                      "max_roommates": "0", "contact_email": contact_default(), "languages": [], "areas": [],
                      "accessibility_needs": []})
    status = 200
    if request.method == "POST":
        form, body = read_request_form()
        if not form.errors:
            result = client.post("/api/housing/requests", body)
            if result.ok:
                flash(gettext("Your request is posted: here are the homes that match it."), "success")
                return redirect(url_for("housing.request_page", request_id=result.body["id"]))
            form.take_problem(result, fields=tuple(body))
            rename_errors(form, {"max_budget_cents": "budget"})
        status = 422
    return render_template("housing/request_form.html", form=form, vocabulary=vocabulary()), status


@housing_pages.get("/requests/<request_id>")
@signed_in
def request_page(request_id: str):
    mine = require(client.get(f"/api/housing/requests/{request_id}"))
    matches = require(client.get(f"/api/housing/requests/{request_id}/matches"))
    group = client.get(f"/api/housing/requests/{request_id}/group")
    return render_template("housing/request.html", item=mine, matches=matches,
                           group=group.body if group.ok else None, vocabulary=vocabulary())


# -- offers ------------------------------------------------------------------------------------------
OFFER_FIELDS = ("kind", "rent", "charges", "deposit", "available_from", "available_until", "area",
                "max_occupants", "hours", "house_rules", "contact_email", "contact_phone")


def read_offer_form() -> tuple[FormState, dict]:
    form = FormState({name: request.form.get(name, "").strip() for name in OFFER_FIELDS})
    form.values.update(languages=request.form.getlist("languages"),
                       accessibility=request.form.getlist("accessibility"),
                       furnished=request.form.get("furnished", ""),
                       smoking_allowed=request.form.get("smoking_allowed", ""),
                       pets_allowed=request.form.get("pets_allowed", ""))
    body = {"kind": form.values["kind"], "available_from": form.values["available_from"] or None,
            "available_until": form.values["available_until"] or None, "area": form.values["area"],
            "hours": form.values["hours"], "house_rules": form.values["house_rules"],
            "languages": form.values["languages"], "accessibility": form.values["accessibility"],
            "furnished": form.values["furnished"] == "yes",
            "smoking_allowed": form.values["smoking_allowed"] == "yes",
            "pets_allowed": form.values["pets_allowed"] == "yes",
            "contact_email": form.values["contact_email"] or None,
            "contact_phone": form.values["contact_phone"] or None}
    if form.values["max_occupants"].isdigit():
        body["max_occupants"] = int(form.values["max_occupants"])
    else:
        form.error("max_occupants", gettext("Give a whole number."))
    for name in ("rent", "charges", "deposit"):
        try:
            amount = euros_to_cents(form.values[name])
        except ValueError:
            form.error(name, gettext("Give an amount in euros, for example 450."))
            continue
        if amount is not None:
            body[f"{name}_cents"] = amount
        elif name == "rent":
            form.error(name, gettext("This field is required."))
    return form, body


@housing_pages.route("/offers/new", methods=["GET", "POST"])
@signed_in
def new_offer():
    form = FormState({"kind": "room", "max_occupants": "1", "hours": "flexible", "contact_email": contact_default(),
                      "languages": [], "accessibility": []})
    status = 200
    if request.method == "POST":
        form, body = read_offer_form()
        if not form.errors:
            result = client.post("/api/housing/offers", body)
            if result.ok:
                flash(gettext("Your offer is saved: a volunteer checks it before newcomers see it."), "success")
                return redirect(url_for("housing.offer_page", offer_id=result.body["id"]))
            form.take_problem(result, fields=tuple(body))
            rename_errors(form, {"rent_cents": "rent", "charges_cents": "charges", "deposit_cents": "deposit"})
        status = 422
    return render_template("housing/offer_form.html", form=form, vocabulary=vocabulary()), status


@housing_pages.get("/offers/<offer_id>")
@signed_in
def offer_page(offer_id: str):
    offer = require(client.get(f"/api/housing/offers/{offer_id}"))
    found = client.get(f"/api/housing/offers/{offer_id}/matches")
    return render_template("housing/offer.html", offer=offer, matches=found.body if found.ok else [],
                           vocabulary=vocabulary())


# -- matches -----------------------------------------------------------------------------------------
@housing_pages.route("/matches/<seeker_id>/<offer_id>", methods=["GET", "POST"])
@signed_in
def match_page(seeker_id: str, offer_id: str):
    form, status = FormState(), 200
    base = f"/api/housing/matches/{seeker_id}/{offer_id}"
    if request.method == "POST":
        form = FormState({"body": request.form.get("body", "").strip()})
        result = client.post(f"{base}/messages", {"body": form.values["body"]})
        if result.ok:
            flash(gettext("Your message is sent."), "success")
            return redirect(url_for("housing.match_page", seeker_id=seeker_id, offer_id=offer_id))
        form.take_problem(result, fields=("body",))
        status = result.status
    match = require(client.get(base))
    messages = client.get(f"{base}/messages")
    return render_template("housing/match.html", match=match, messages=messages.body if messages.ok else [],
                           form=form, vocabulary=vocabulary()), status


@housing_pages.post("/matches/<seeker_id>/<offer_id>/<answer>")
@signed_in
def answer(seeker_id: str, offer_id: str, answer: str):
    if answer not in ANSWERS:
        from gateway.web.pages import PageNotFound

        raise PageNotFound()
    result = client.post(f"/api/housing/matches/{seeker_id}/{offer_id}/{ANSWERS[answer]}")
    if result.ok:
        mutual = (result.body.get("consent") or {}).get("mutual")
        flash(gettext("You are both interested: the contact details are shown below.") if mutual else
              {"interest": gettext("Your interest is sent; the other side is told."),
               "decline": gettext("This match is declined."),
               "withdraw": gettext("Your interest is withdrawn.")}[answer], "success")
    else:
        raise_for_session(result)
        flash(result.problem.get("detail") or gettext("Something went wrong; try again."), "error")
    return redirect(url_for("housing.match_page", seeker_id=seeker_id, offer_id=offer_id))


REPORT_REASONS = ("scam", "already_let", "misleading", "other")


@housing_pages.post("/offers/<offer_id>/report")
@signed_in
def report_offer(offer_id: str):
    """A newcomer warns the veilleurs about an offer; it goes back to review."""
    reason = request.form.get("reason", "")
    result = client.post(f"/api/housing/offers/{offer_id}/reports",
                         {"reason": reason, "comment": request.form.get("comment", "").strip()})
    if result.ok:
        flash(gettext("Thank you: a volunteer will look at this offer."), "success")
    else:
        raise_for_session(result)
        flash(result.problem.get("detail") or gettext("Something went wrong; try again."), "error")
    return redirect(safe_next(request.form.get("back"), url_for("housing.index")))


# -- groups -------------------------------------------------------------------------------------------
@housing_pages.post("/groups/<group_id>/<decision>")
@signed_in
def group_decision(group_id: str, decision: str):
    if decision not in ("agree", "decline"):
        from gateway.web.pages import PageNotFound

        raise PageNotFound()
    result = client.post(f"/api/housing/groups/{group_id}/{decision}")
    if result.ok:
        flash(gettext("Your answer is saved.") if decision == "agree" else gettext("You left this group."),
              "success")
    else:
        raise_for_session(result)
        flash(result.problem.get("detail") or gettext("Something went wrong; try again."), "error")
    return redirect(safe_next(request.form.get("back"), url_for("housing.index")))


# -- review (veilleurs) ---------------------------------------------------------------------------------
@housing_pages.get("/review")
@roles_required(*STAFF)
def review():
    pending = require(client.get("/api/housing/offers", query={"status": "pending"}))
    reports = {offer["id"]: require(client.get(f"/api/housing/offers/{offer['id']}/reports"))
               for offer in pending if offer.get("open_reports")}
    return render_template("housing/review.html", offers=pending, reports=reports, vocabulary=vocabulary())


@housing_pages.post("/review/<offer_id>/<decision>")
@roles_required(*STAFF)
def review_decision(offer_id: str, decision: str):
    if decision == "publish":
        result = client.post(f"/api/housing/offers/{offer_id}/publish")
        done = gettext("The offer is published.")
    elif decision == "reject":
        result = client.post(f"/api/housing/offers/{offer_id}/reject", {"reason": request.form.get("reason", "")})
        done = gettext("The offer is rejected; the host sees the reason.")
    else:
        from gateway.web.pages import PageNotFound

        raise PageNotFound()
    if result.ok:
        flash(done, "success")
    else:
        raise_for_session(result)
        errors = result.problem.get("errors") or {}
        flash(gettext("Give the reason for rejecting, in a few words.") if "reason" in errors
              else result.problem.get("detail") or gettext("Something went wrong; try again."), "error")
    return redirect(url_for("housing.review"))
