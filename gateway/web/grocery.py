"""Social grocery pages for the veilleur: checkout by card number with the budget left, near-expiry list."""
from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from gateway.web import client
from gateway.web.forms import FormState, euros_to_cents, raise_for_session, require, roles_required
from gateway.web.grocery_staff import HOUSEHOLD_CODES
from gateway.web.i18n import cents, day
from gateway.web.pages import page_error
from gateway.web.problems import explain

grocery_pages = Blueprint("grocery", __name__)
grocery_pages.register_error_handler(Exception, page_error)
STAFF = ("veilleur", "admin")
PAYMENT_METHODS = ("cash", "card", "cheque", "transfer", "meal_voucher")


def solidarity_products(site: str) -> list[dict]:
    return [p for p in require(client.get("/api/grocery/products", query={"site": site})) if p.get("tier")]


def card_view(card_number: str, form: FormState) -> dict | None:
    """The cashier's view of a card, or an error next to the card number."""
    found = client.get(f"/api/grocery/cards/{card_number}")
    if found.ok:
        return found.body
    form.take_problem(found, fields=("card_number",))
    if found.status == 404 and "card_number" not in form.errors:
        form.error("card_number", gettext("No household has this card number: check the number on the card."))
    return None


def refusal(problem: dict) -> str:
    """A refused sale explained in a plain sentence."""
    slug = (problem.get("type") or "").rsplit("/", 1)[-1]
    currency = problem.get("currency") or "EUR"
    if slug == "over-monthly-budget":
        return gettext("Refused: this basket comes to %(requested)s, and only %(remaining)s is left this month.",
                       requested=cents(problem.get("requested_cents"), currency),
                       remaining=cents(problem.get("remaining_cents"), currency))
    if slug == "not-eligible":
        return gettext("Refused: this card has no access today; the referrer can renew it.")
    if slug == "over-product-limit":
        return gettext("Refused: a product is over its monthly limit; %(remaining)s %(unit)s remain.",
                       remaining=problem.get("remaining_quantity"), unit=problem.get("unit"))
    if problem.get("available") is not None:
        return gettext("Refused: not enough in stock; %(available)s %(unit)s can be sold.",
                       available=problem.get("available"), unit=problem.get("unit") or "")
    return problem.get("detail") or gettext("Something went wrong; try again.")


@grocery_pages.route("/veilleur/checkout", methods=["GET", "POST"])
@roles_required(*STAFF)
def checkout():
    sites = require(client.get("/api/sites"))
    site = request.values.get("site") or (sites[0]["slug"] if sites else "")
    card_number = request.values.get("card_number", "").strip().upper()
    form = FormState({"card_number": card_number, "payment_method": request.values.get("payment_method", "cash")})
    card, sale, status = None, None, 200
    products = solidarity_products(site) if site else []
    if card_number:
        card = card_view(card_number, form)
        status = 200 if card else 404
    if request.method == "POST" and card:
        lines = []
        for product in products:
            raw = request.form.get(f"qty.{product['id']}", "").strip().replace(",", ".")
            form.values[f"qty.{product['id']}"] = raw
            if not raw:
                continue
            try:
                quantity = Decimal(raw)
            except InvalidOperation:
                form.error(f"qty.{product['id']}", gettext("Give a quantity, for example 2 or 0.5."))
                continue
            if quantity > 0:
                lines.append({"product_id": product["id"],
                              "quantity": int(quantity) if quantity == quantity.to_integral() else float(quantity)})
        if not lines and not form.errors:
            form.summary = gettext("Give the quantity of at least one product.")
        if not form.has_errors:
            key = request.form.get("idempotency_key") or uuid.uuid4().hex
            result = client.call("POST", "/api/grocery/sales", json_body={
                "site": site, "kind": "solidarity", "card_number": card_number,
                "payment_method": form.values["payment_method"], "lines": lines}, headers={"Idempotency-Key": key})
            if result.ok:
                sale, status = result.body, 201
                card = card_view(card_number, form) or card
            else:
                raise_for_session(result)
                errors = result.problem.get("errors") or {}
                for name, messages in errors.items():
                    if name.startswith("lines."):
                        index = int(name.split(".")[1])
                        if index < len(lines):
                            form.errors[f"qty.{lines[index]['product_id']}"] = list(messages)
                if not errors:
                    form.summary = refusal(result.problem)
                status = result.status
        else:
            status = 422
    return render_template("grocery/checkout.html", sites=sites, site=site, form=form, card=card, sale=sale,
                           products=products, payment_methods=PAYMENT_METHODS,
                           product_names={p["id"]: p["name"] for p in products},
                           idempotency_key=uuid.uuid4().hex), status


@grocery_pages.route("/veilleur/households/new", methods=["GET", "POST"])
@roles_required(*STAFF)
def new_household():
    """Register a household referred by a social service: figures only, no name; the card number comes back."""
    sites = require(client.get("/api/sites"))
    names = ("site", "referrer_organisation", "household_size", "resources", "charges")
    form = FormState({"site": request.args.get("site") or (sites[0]["slug"] if sites else ""),
                      "household_size": "1"})
    status = 200
    if request.method == "POST":
        form = FormState({name: request.form.get(name, "").strip() for name in names})
        form.labels = {"site": gettext("Place"), "referrer_organisation": gettext("Referring social service"),
                       "household_size": gettext("People in the household"),
                       "resources": gettext("Monthly resources (euros)"),
                       "charges": gettext("Monthly fixed charges (euros)")}
        body = {"site": form.values["site"], "referrer_organisation": form.values["referrer_organisation"]}
        if not form.values["referrer_organisation"]:
            form.error("referrer_organisation", gettext("This field is required."))
        if form.values["household_size"].isdigit() and 1 <= int(form.values["household_size"]) <= 20:
            body["household_size"] = int(form.values["household_size"])
        else:
            form.error("household_size", gettext("Give a whole number from %(min)s to %(max)s.", min=1, max=20))
        for name, key in (("resources", "monthly_resources_cents"), ("charges", "fixed_charges_cents")):
            try:
                amount = euros_to_cents(form.values[name])
            except ValueError:
                form.error(name, gettext("Give an amount in euros, for example 450."))
                continue
            if amount is None:
                form.error(name, gettext("This field is required."))
            else:
                body[key] = amount
        status = 422
        if not form.errors:
            result = client.post("/api/grocery/households", body)
            if result.ok:
                household = result.body
                if household["status"] == "eligible":
                    flash(gettext("Registered and eligible: card %(card)s, until %(date)s.",
                                  card=household["card_number"], date=day(household["eligible_until"], "long")),
                          "success")
                else:
                    flash(gettext("Registered, but not eligible with these figures: card %(card)s.",
                                  card=household["card_number"]), "info")
                return redirect(url_for("grocery_staff.household", household_id=household["id"]))
            explain(form, result, {"site": gettext("This place has no social grocery yet.")}, HOUSEHOLD_CODES,
                    renames={"monthly_resources_cents": "resources", "fixed_charges_cents": "charges"})
            status = result.status
    return render_template("grocery/household.html", sites=sites, form=form), status


@grocery_pages.get("/veilleur/near-expiry")
@roles_required(*STAFF)
def near_expiry():
    sites = require(client.get("/api/sites"))
    site = request.args.get("site") or (sites[0]["slug"] if sites else "")
    lots = require(client.get(f"/api/grocery/sites/{site}/near-expiry", query={"days": "3"})) if site else []
    return render_template("grocery/near_expiry.html", sites=sites, site=site, lots=lots)
