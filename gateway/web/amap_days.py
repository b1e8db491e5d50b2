"""AMAP pages of the coordinator, continued: a distribution moved or cancelled, any day's distributions, and
their sign-in sheets, printable (one A4 each) and as CSV. Routes of the `amap_staff` blueprint."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from gateway.web import client
from gateway.web.amap_staff import (
    DISTRIBUTION_CODES,
    STAFF,
    all_sites,
    amap_staff,
    pick_site,
    site_today,
)
from gateway.web.forms import FormState, require, roles_required
from gateway.web.i18n import day
from gateway.web.problems import explain, flash_refusal
from gateway.web.relay import distribution_or_404
from gateway.web.values import parse_clock, parse_day


# -- moving and cancelling a distribution ----------------------------------------------------------------
@amap_staff.route("/veilleur/amap/distributions/<distribution_id>/move", methods=["GET", "POST"])
@roles_required(*STAFF)
def move(distribution_id: str):
    distribution = distribution_or_404(distribution_id)
    current = {"date": distribution["date"], "window_opens": distribution["starts_at"][11:16],
               "window_closes": distribution["ends_at"][11:16]}
    form, status = FormState(current), 200
    form.labels = {"date": gettext("New date"), "window_opens": gettext("Pickup from"),
                   "window_closes": gettext("Pickup until")}
    if request.method == "POST":
        labels = form.labels
        form = FormState({name: request.form.get(name, "").strip() for name in current})
        form.labels, status = labels, 422
        body = {}
        try:
            body["date"] = parse_day(form.values["date"], date.fromisoformat(distribution["date"])).isoformat()
        except ValueError:
            form.error("date", gettext("Write a date like 26/11/2026."))
        for name in ("window_opens", "window_closes"):
            try:
                body[name] = parse_clock(form.values[name])
            except ValueError:
                form.error(name, gettext("Write a time like 18:00 or 18h30."))
        if not form.errors and body["window_closes"] <= body["window_opens"]:
            form.error("window_closes", gettext("The pickup must end after it starts."))
        changes = {key: value for key, value in body.items() if value != current[key]}
        if not form.errors and not changes:
            form.summary = gettext("Change the date or the pickup times to move the distribution.")
        if not form.has_errors:
            result = client.post(f"/api/relay/distributions/{distribution_id}/move", changes)
            if result.ok:
                flash(gettext("The distribution is moved to %(date)s, %(start)s to %(end)s; its subscribers "
                              "are told.", date=day(result.body["starts_at"], "full"),
                              start=result.body["starts_at"][11:16], end=result.body["ends_at"][11:16]), "success")
                return redirect(url_for("amap_staff.contract", contract_id=distribution["contract_id"]))
            explain(form, result, {"date": gettext("A distribution cannot move into the past."),
                                   "window_closes": gettext("The pickup must end after it starts.")},
                    DISTRIBUTION_CODES)
            status = result.status
    return render_template("amap/move.html", distribution=distribution, form=form), status


@amap_staff.route("/veilleur/amap/distributions/<distribution_id>/cancel", methods=["GET", "POST"])
@roles_required(*STAFF)
def cancel(distribution_id: str):
    distribution = distribution_or_404(distribution_id)
    if request.method == "POST":
        result = client.post(f"/api/relay/distributions/{distribution_id}/cancel")
        if result.ok:
            flash(gettext("The distribution of %(date)s is cancelled; its subscribers are told.",
                          date=day(distribution["starts_at"], "full")), "success")
        else:
            flash_refusal(result, DISTRIBUTION_CODES)
        return redirect(url_for("amap_staff.contract", contract_id=distribution["contract_id"]))
    return render_template("amap/cancel.html", distribution=distribution)


# -- any day's distributions and their sign-in sheets ----------------------------------------------------
def chosen_day(site: dict | None) -> date:
    text = request.args.get("day", "").strip()
    today = site_today(site)
    try:
        return parse_day(text, today) if text else today
    except ValueError:
        return today


def distributions_of(site: dict, on: date) -> list[dict]:
    found = require(client.get("/api/relay/distributions",
                               query={"site": site["slug"], "from": on.isoformat(), "to": on.isoformat()}))
    return sorted(found, key=lambda d: d["starts_at"])


@amap_staff.get("/veilleur/distributions")
@roles_required(*STAFF)
def day_list():
    sites = all_sites()
    site = pick_site(sites)
    on = chosen_day(site)
    distributions = distributions_of(site, on) if site else []
    return render_template("amap/day.html", sites=sites, site=site, on=on, distributions=distributions,
                           before=on - timedelta(days=1), after=on + timedelta(days=1), today=site_today(site))


def sign_in_sheet(distribution: dict, contracts: dict[str, dict]) -> dict:
    """The rows a veilleur prints for one distribution: who collects what; never a pickup code."""
    baskets = require(client.get(f"/api/relay/distributions/{distribution['id']}/baskets"))
    rows = sorted((b for b in baskets if b["status"] not in ("absent", "cancelled")),
                  key=lambda b: (b.get("name") or "").casefold())
    if distribution["contract_id"] not in contracts:
        contracts[distribution["contract_id"]] = require(
            client.get(f"/api/relay/contracts/{distribution['contract_id']}"))
    return {"distribution": distribution, "contract": contracts[distribution["contract_id"]], "rows": rows,
            "baskets": sum(row["quantity"] for row in rows)}


@amap_staff.get("/veilleur/distributions/<distribution_id>/sheet")
@roles_required(*STAFF)
def sheet(distribution_id: str):
    distribution = distribution_or_404(distribution_id)
    site = next((s for s in all_sites() if s["id"] == distribution["site_id"]), None)
    return render_template("amap/sheets.html", sheets=[sign_in_sheet(distribution, {})], site=site,
                           on=date.fromisoformat(distribution["date"]), single=distribution)


@amap_staff.get("/veilleur/sheets")
@roles_required(*STAFF)
def sheets():
    """Every sign-in sheet of a day at a site, each on its own A4 page when printed."""
    sites = all_sites()
    site = pick_site(sites)
    on = chosen_day(site)
    contracts: dict[str, dict] = {}
    found = [sign_in_sheet(d, contracts) for d in distributions_of(site, on) if d["status"] != "cancelled"] \
        if site else []
    return render_template("amap/sheets.html", sheets=found, site=site, on=on, single=None)


@amap_staff.get("/veilleur/distributions/<distribution_id>/sheet.csv")
@roles_required(*STAFF)
def sheet_csv(distribution_id: str):
    """The relay's own CSV of the sheet (its columns are French, like the sheet the relay prints)."""
    distribution = distribution_or_404(distribution_id)
    found = client.get(f"/api/relay/distributions/{distribution_id}/sheet.csv", headers={"Accept": "text/csv"})
    require(found)
    return Response(found.raw, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="emargement-{distribution["date"]}.csv"'})

