"""AMAP relay pages: a neighbour's baskets (pickup code, absence, proxy) and the veilleur's distribution desk."""
from __future__ import annotations

import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext, lazy_gettext

from gateway.web import client
from gateway.web.forms import FormState, Said, raise_for_session, require, roles_required, signed_in
from gateway.web.i18n import clock
from gateway.web.pages import PageNotFound, page_error
from gateway.web.problems import explain, flash_refusal, refusal

relay_pages = Blueprint("relay", __name__)
relay_pages.register_error_handler(Exception, page_error)
STAFF = ("veilleur", "admin")
OPEN_STATUSES = ("expected", "offered")


@relay_pages.app_template_global()
def kind_options(kinds: list[dict], currency: str = "EUR") -> list[tuple[str, str]]:
    from gateway.web.i18n import cents

    options = []
    for kind in kinds:
        text = f"{kind.get('description') or kind['name']}: {cents(kind['price_cents'], currency)}"
        if kind.get("solidarity_price_cents") is not None:
            reduced = cents(kind["solidarity_price_cents"], currency)
            text += " · " + gettext("solidarity share: %(price)s", price=reduced)
        options.append((kind["name"], text))
    return options


def today_at(site_timezone: str = "Europe/Paris") -> str:
    return datetime.now(ZoneInfo(site_timezone)).date().isoformat()


def todays_distributions(site_slug: str, timezone: str = "Europe/Paris") -> list[dict] | None:
    """Today's distributions at a site; None when the relay does not answer."""
    day = today_at(timezone)
    result = client.get("/api/relay/distributions", query={"site": site_slug, "from": day, "to": day})
    if result.ok:
        return result.body
    return None if result.status >= 500 or result.status == 404 else []


# -- contracts and shares ------------------------------------------------------------------------------
@relay_pages.get("/amap")
def contracts():
    """The AMAP contracts of a place."""
    sites = require(client.get("/api/sites"))
    site = request.args.get("site") or (sites[0]["slug"] if sites else "")
    found = client.get("/api/relay/contracts", query={"site": site})
    return render_template("relay/contracts.html", sites=sites, site=site, contracts=found.body if found.ok else None)


@relay_pages.route("/amap/<contract_id>", methods=["GET", "POST"])
@signed_in
def take_share(contract_id: str):
    """A neighbour takes a share of a contract."""
    contract = require(client.get(f"/api/relay/contracts/{contract_id}"))
    kinds = contract.get("basket_kinds") or []
    form = FormState({"quantity": "1", "display_name": session.get("name", ""),
                      "basket_kind": kinds[0]["name"] if kinds else ""})
    status = 200
    if request.method == "POST":
        form = FormState({name: request.form.get(name, "").strip()
                          for name in ("basket_kind", "quantity", "solidarity", "display_name")})
        body = {"basket_kind": form.values["basket_kind"], "solidarity": form.values["solidarity"] == "yes",
                "display_name": form.values["display_name"]}
        if form.values["quantity"].isdigit():
            body["quantity"] = int(form.values["quantity"])
        else:
            form.error("quantity", gettext("Give a whole number."))
        status = 422
        if not form.errors:
            result = client.post(f"/api/relay/contracts/{contract_id}/subscriptions", body)
            if result.ok:
                flash(gettext("Your share is taken: your baskets and their pickup codes are below."), "success")
                return redirect(url_for("relay.my_baskets"))
            form.take_problem(result, fields=tuple(body))
            status = result.status
    return render_template("relay/take_share.html", contract=contract, form=form), status


# -- a neighbour's baskets ----------------------------------------------------------------------------
@relay_pages.get("/baskets")
@signed_in
def my_baskets():
    baskets = require(client.get("/api/relay/baskets", query={"mine": "true", "upcoming": "true"}))
    shares = client.get("/api/relay/subscriptions")
    return render_template("relay/baskets.html", baskets=baskets, shares=shares.body if shares.ok else [])


def basket_action(method: str, basket_id: str, body=None, done: str = ""):
    result = client.call(method, f"/api/relay/baskets/{basket_id}/{'absence' if done == 'absence' else 'proxy'}",
                         json_body=body)
    if result.ok:
        flash({"absence": gettext("Your absence is noted: no basket will be prepared for you."),
               "proxy": gettext("Give the proxy code to the person who collects your basket."),
               "withdraw": gettext("The proxy is withdrawn.")}[done], "success")
    else:
        raise_for_session(result)
        flash(result.problem.get("detail") or gettext("Something went wrong; try again."), "error")
    return redirect(url_for("relay.my_baskets"))


@relay_pages.post("/baskets/<basket_id>/absence")
@signed_in
def declare_absence(basket_id: str):
    return basket_action("POST", basket_id, {}, "absence")


@relay_pages.post("/baskets/<basket_id>/proxy")
@signed_in
def name_proxy(basket_id: str):
    return basket_action("POST", basket_id, {}, "proxy")


@relay_pages.post("/baskets/<basket_id>/proxy/withdraw")
@signed_in
def withdraw_proxy(basket_id: str):
    return basket_action("DELETE", basket_id, None, "withdraw")


# -- the veilleur's desk ------------------------------------------------------------------------------
@relay_pages.get("/veilleur")
@roles_required(*STAFF)
def dashboard():
    sites = require(client.get("/api/sites"))
    chosen = request.args.get("site") or (sites[0]["slug"] if sites else "")
    site = next((s for s in sites if s["slug"] == chosen), None)
    distributions = todays_distributions(site["slug"], site["timezone"]) if site else []
    sections = {}
    from gateway.web.today import staff_sections

    if site:
        sections = staff_sections(site)
    return render_template("relay/dashboard.html", sites=sites, site=site, distributions=distributions,
                           sections=sections)


# What the desk may be told when a basket is handed over or the distribution closed, by the problem's code.
DESK_CODES = {
    "unknown-pickup-code": lazy_gettext("No basket of this distribution has this code: check it with the person."),
    "basket-already-collected": lambda problem: gettext(
        "This basket was already handed over at %(time)s.", time=clock(problem["collected_at"]))
    if problem.get("collected_at") else gettext("Someone handed this basket over a moment ago."),
    "no-basket-left": lazy_gettext("No basket of this kind is left: all that arrived were handed over."),
    "basket-absent": lazy_gettext("This subscriber said they would be away: their basket was not prepared."),
    "basket-cancelled": lazy_gettext("This basket is cancelled."),
    "basket-unclaimed": lazy_gettext("This basket was not collected and went to the social grocery."),
    "basket-not-delivered": lazy_gettext("This basket was not delivered."),
    "wrong-distribution": lazy_gettext("This basket belongs to another distribution."),
    "distribution-closed": lazy_gettext("This distribution is closed: nothing more can be handed over."),
    "distribution-cancelled": lazy_gettext("This distribution is cancelled."),
    "delivery-already-checked-in": lazy_gettext("The delivery was already checked in."),
    "not-found": lazy_gettext("This distribution no longer exists."),
}
# Baskets that are someone's to collect at the distribution (not those of absent subscribers).
HANDED_OUT = ("expected", "offered", "collected", "unclaimed", "not_delivered")


def folded(text: str | None) -> str:
    """Lower case without accents, so that "helene" finds "Hélène"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def desk_figures(baskets: list[dict]) -> dict:
    counted = [b for b in baskets if b["status"] in HANDED_OUT]
    return {"collected": sum(1 for b in counted if b["status"] == "collected"), "total": len(counted),
            "open": sum(1 for b in counted if b["status"] in OPEN_STATUSES)}


def distribution_or_404(distribution_id: str) -> dict:
    found = client.get(f"/api/relay/distributions/{distribution_id}")
    if found.status == 404:
        raise PageNotFound()
    return require(found)


def distribution_page(distribution_id: str, form: FormState | None = None, delivery_form: FormState | None = None,
                      status: int = 200):
    distribution = distribution_or_404(distribution_id)
    delivery = require(client.get(f"/api/relay/distributions/{distribution_id}/delivery"))
    baskets = require(client.get(f"/api/relay/distributions/{distribution_id}/baskets"))
    baskets = sorted(baskets, key=lambda b: (b["status"] not in OPEN_STATUSES, folded(b.get("name"))))
    if delivery_form is None:
        delivery_form = FormState({f"arrived.{line['basket_kind']}": line["arrived"] if line["arrived"] is not None
                                   else line["expected"] for line in delivery["kinds"]})
    search = request.args.get("q", "").strip()
    shown = [b for b in baskets if folded(search) in folded(b.get("name"))] if search else baskets
    return render_template("relay/distribution.html", distribution=distribution, delivery=delivery,
                           baskets=shown, figures=desk_figures(baskets), search=search, folded=folded,
                           everyone=len(baskets),
                           form=form or FormState(), delivery_form=delivery_form,
                           open_statuses=OPEN_STATUSES), status


@relay_pages.get("/veilleur/distributions/<distribution_id>")
@roles_required(*STAFF)
def distribution(distribution_id: str):
    return distribution_page(distribution_id)


@relay_pages.post("/veilleur/distributions/<distribution_id>/collections")
@roles_required(*STAFF)
def collect(distribution_id: str):
    code, basket_id = request.form.get("code", "").strip(), request.form.get("basket_id", "").strip()
    form = FormState({"code": code})
    form.labels = {"code": gettext("Pickup or proxy code")}
    if not code and not basket_id:
        form.error("code", gettext("Type the code the person shows, or hand over by name in the list."))
        return distribution_page(distribution_id, form=form, status=422)
    body = {"basket_id": basket_id} if basket_id else {"code": code}
    result = client.post(f"/api/relay/distributions/{distribution_id}/collections", body)
    if result.ok:
        name = result.body.get("name") if isinstance(result.body, dict) else None
        flash(gettext("Basket handed over to %(name)s.", name=name) if name else gettext("Basket handed over."),
              "success")
        return redirect(url_for("relay.distribution", distribution_id=distribution_id))
    if basket_id:
        form.summary = refusal(result, DESK_CODES)
    else:
        # A refused code is said next to the code field, where the volunteer types the next one.
        explain(form, result, {"code": DESK_CODES["unknown-pickup-code"]}, DESK_CODES)
        if form.summary and not form.errors:
            form.errors["code"], form.summary = [Said(form.summary)], None
    return distribution_page(distribution_id, form=form, status=result.status)


@relay_pages.post("/veilleur/distributions/<distribution_id>/delivery")
@roles_required(*STAFF)
def check_in(distribution_id: str):
    values = {key: value.strip() for key, value in request.form.items() if key.startswith("arrived.")}
    form = FormState(values)
    arrived = {}
    for key, value in values.items():
        if value.isdigit():
            arrived[key.split(".", 1)[1]] = int(value)
        else:
            form.error(key, gettext("Give a whole number of baskets, 0 or more."))
    if not form.errors:
        result = client.post(f"/api/relay/distributions/{distribution_id}/delivery", {"arrived": arrived})
        if result.ok:
            flash(gettext("The delivery is checked in."), "success")
            return redirect(url_for("relay.distribution", distribution_id=distribution_id))
        explain(form, result, {"arrived": gettext("Give a whole number of baskets, 0 or more.")}, DESK_CODES)
    return distribution_page(distribution_id, delivery_form=form, status=422)


@relay_pages.route("/veilleur/distributions/<distribution_id>/close", methods=["GET", "POST"])
@roles_required(*STAFF)
def close(distribution_id: str):
    """Closing is asked twice: the desk links here, and only the button of this page closes."""
    if request.method == "POST" and request.form.get("confirm") == "yes":
        result = client.post(f"/api/relay/distributions/{distribution_id}/close")
        if result.ok:
            left = (result.body.get("baskets") or {}).get("unclaimed", 0)
            flash(gettext("The distribution is closed; %(n)s uncollected baskets go to the social grocery.", n=left),
                  "success")
        else:
            flash_refusal(result, DESK_CODES)
        return redirect(url_for("relay.distribution", distribution_id=distribution_id))
    if request.method == "POST":
        return redirect(url_for("relay.close", distribution_id=distribution_id))
    distribution = distribution_or_404(distribution_id)
    if distribution["status"] != "scheduled":
        return redirect(url_for("relay.distribution", distribution_id=distribution_id))
    baskets = require(client.get(f"/api/relay/distributions/{distribution_id}/baskets"))
    return render_template("relay/close.html", distribution=distribution, figures=desk_figures(baskets))
