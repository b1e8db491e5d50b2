"""Pages for admins and veilleurs: sites, rooms, accounts and roles, API keys of programs."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from gateway.web import client
from gateway.web.forms import FormState, cents_to_euros, euros_to_cents, require, roles_required
from gateway.web.i18n import ROLE_NAMES, WEEKDAYS, day_name, kind_name
from gateway.web.pages import page_error

admin_pages = Blueprint("admin", __name__, url_prefix="/admin")
admin_pages.register_error_handler(Exception, page_error)
SPANS_PER_DAY = 2
RATE_KINDS = ("association", "citizen_group", "individual", "public_body", "company")
RATE_UNITS = ("hour", "half_day", "day")


@admin_pages.app_template_global()
def site_options(sites: list[dict]) -> list[tuple[str, str]]:
    return [(site["slug"], site["name"]) for site in sites]


@admin_pages.app_template_global()
def room_options(rooms: list[dict]) -> list[tuple[str, str]]:
    return [(room["id"], f"{room['name']} ({room['capacity']})") for room in rooms]


@admin_pages.app_template_global()
def organisation_options(organisations: list[dict]) -> list[tuple[str, str]]:
    return [(org["id"], f"{org['name']} ({kind_name(org['kind'])})") for org in organisations]


@admin_pages.get("")
@roles_required("admin")
def index():
    return render_template("admin/index.html")


# -- sites -----------------------------------------------------------------------------------------------
def site_form_values(site: dict) -> dict:
    values = {name: site.get(name, "") for name in ("slug", "name", "address", "description", "timezone")}
    for day in WEEKDAYS:
        for index, span in enumerate((site.get("opening_hours") or {}).get(day, [])[:SPANS_PER_DAY]):
            values[f"hours.{day}.{index}.opens"] = span["opens"]
            values[f"hours.{day}.{index}.closes"] = span["closes"]
    return values


def site_payload(form: FormState) -> dict:
    """The API body from the form; a span with only one of its two times is an error next to it."""
    hours: dict[str, list] = {}
    for day in WEEKDAYS:
        for index in range(SPANS_PER_DAY):
            opens = form.values.get(f"hours.{day}.{index}.opens", "")
            closes = form.values.get(f"hours.{day}.{index}.closes", "")
            if opens and closes:
                hours.setdefault(day, []).append({"opens": opens, "closes": closes})
            elif opens or closes:
                form.error("opening_hours", gettext("%(day)s: give both the opening and the closing time.",
                                                    day=day_name(day)))
    payload = {name: form.values.get(name, "") for name in ("name", "address", "description", "timezone")}
    payload["opening_hours"] = hours
    return payload


def read_site_form() -> FormState:
    names = ["slug", "name", "address", "description", "timezone"]
    names += [f"hours.{day}.{i}.{edge}" for day in WEEKDAYS for i in range(SPANS_PER_DAY)
              for edge in ("opens", "closes")]
    return FormState({name: request.form.get(name, "").strip() for name in names})


@admin_pages.get("/sites")
@roles_required("admin")
def sites():
    return render_template("admin/sites.html", sites=require(client.get("/api/sites")))


@admin_pages.route("/sites/new", methods=["GET", "POST"])
@roles_required("admin")
def new_site():
    form = FormState({"timezone": "Europe/Paris"})
    if request.method == "POST":
        form = read_site_form()
        payload = {**site_payload(form), "slug": form.values["slug"]}
        if not form.errors:
            result = client.post("/api/sites", payload)
            if result.ok:
                flash(gettext("The place %(name)s is created.", name=result.body["name"]), "success")
                return redirect(url_for("admin.sites"))
            form.take_problem(result, fields=tuple(payload))
        return render_template("admin/site_form.html", form=form, creating=True, spans=SPANS_PER_DAY), 422
    return render_template("admin/site_form.html", form=form, creating=True, spans=SPANS_PER_DAY)


@admin_pages.route("/sites/<slug>/edit", methods=["GET", "POST"])
@roles_required("admin")
def edit_site(slug: str):
    site = require(client.get(f"/api/sites/{slug}"))
    form = FormState(site_form_values(site))
    if request.method == "POST":
        form = read_site_form()
        form.values["slug"] = site["slug"]
        payload = site_payload(form)
        if not form.errors:
            result = client.patch(f"/api/sites/{site['slug']}", payload)
            if result.ok:
                flash(gettext("Your changes are saved."), "success")
                return redirect(url_for("admin.sites"))
            form.take_problem(result, fields=tuple(payload))
        return render_template("admin/site_form.html", form=form, creating=False, site=site,
                               spans=SPANS_PER_DAY), 422
    return render_template("admin/site_form.html", form=form, creating=False, site=site, spans=SPANS_PER_DAY)


# -- rooms -----------------------------------------------------------------------------------------------
def room_form_values(room: dict) -> dict:
    values = {"name": room.get("name", ""), "capacity": room.get("capacity", ""),
              "equipment": "\n".join(room.get("equipment") or []), "accessibility": room.get("accessibility", "")}
    for kind, rate in (room.get("rates") or {}).items():
        for unit in RATE_UNITS:
            values[f"rates.{kind}.{unit}"] = cents_to_euros(rate.get(unit))
        values[f"rates.{kind}.money_box"] = "yes" if rate.get("money_box") else ""
    return values


def read_room_form() -> tuple[FormState, dict]:
    names = ["site", "name", "capacity", "equipment", "accessibility"]
    names += [f"rates.{kind}.{unit}" for kind in RATE_KINDS for unit in (*RATE_UNITS, "money_box")]
    form = FormState({name: request.form.get(name, "").strip() for name in names})
    payload: dict = {"name": form.values["name"], "accessibility": form.values["accessibility"],
                     "equipment": [line.strip() for line in form.values["equipment"].splitlines() if line.strip()]}
    capacity = form.values["capacity"]
    if capacity.isdigit():
        payload["capacity"] = int(capacity)
    else:
        form.error("capacity", gettext("Give a whole number of people, for example 10."))
    rates = {}
    for kind in RATE_KINDS:
        amounts = {}
        for unit in RATE_UNITS:
            try:
                amounts[unit] = euros_to_cents(form.values[f"rates.{kind}.{unit}"])
            except ValueError:
                form.error(f"rates.{kind}.{unit}", gettext("Give an amount in euros, for example 2.50."))
        money_box = form.values[f"rates.{kind}.money_box"] == "yes"
        if any(value is not None for value in amounts.values()) or money_box:
            rates[kind] = {unit: amounts.get(unit) or 0 for unit in RATE_UNITS} | {"money_box": money_box}
    payload["rates"] = rates
    return form, payload


def room_sites() -> list[dict]:
    return require(client.get("/api/sites"))


@admin_pages.get("/rooms")
@roles_required("veilleur", "admin")
def rooms():
    all_sites = room_sites()
    chosen = request.args.get("site") or (all_sites[0]["slug"] if all_sites else "")
    site = next((s for s in all_sites if s["slug"] == chosen), None)
    found = require(client.get("/api/booking/rooms", query={"site": chosen, "include_retired": "true"})) \
        if site else []
    return render_template("admin/rooms.html", sites=all_sites, site=site, rooms=found)


@admin_pages.route("/rooms/new", methods=["GET", "POST"])
@roles_required("veilleur", "admin")
def new_room():
    all_sites = room_sites()
    form = FormState({"site": request.args.get("site", "")})
    if request.method == "POST":
        form, payload = read_room_form()
        payload["site"] = form.values["site"]
        if not form.errors:
            result = client.post("/api/booking/rooms", payload)
            if result.ok:
                flash(gettext("The room %(name)s is created.", name=result.body["name"]), "success")
                return redirect(url_for("admin.rooms", site=form.values["site"]))
            form.take_problem(result, fields=tuple(payload))
        return render_template("admin/room_form.html", form=form, sites=all_sites, room=None,
                               kinds=RATE_KINDS, units=RATE_UNITS), 422
    return render_template("admin/room_form.html", form=form, sites=all_sites, room=None, kinds=RATE_KINDS,
                           units=RATE_UNITS)


@admin_pages.route("/rooms/<room_id>/edit", methods=["GET", "POST"])
@roles_required("veilleur", "admin")
def edit_room(room_id: str):
    room = require(client.get(f"/api/booking/rooms/{room_id}"))
    site = next((s for s in room_sites() if s["id"] == room["site_id"]), None)
    form = FormState(room_form_values(room))
    if request.method == "POST":
        form, payload = read_room_form()
        if not form.errors:
            result = client.patch(f"/api/booking/rooms/{room_id}", payload)
            if result.ok:
                flash(gettext("Your changes are saved."), "success")
                return redirect(url_for("admin.rooms", site=site["slug"] if site else None))
            form.take_problem(result, fields=tuple(payload))
        return render_template("admin/room_form.html", form=form, room=room, site=site, kinds=RATE_KINDS,
                               units=RATE_UNITS), 422
    return render_template("admin/room_form.html", form=form, room=room, site=site, kinds=RATE_KINDS,
                           units=RATE_UNITS)


@admin_pages.post("/rooms/<room_id>/retire")
@roles_required("veilleur", "admin")
def retire_room(room_id: str):
    room = require(client.post(f"/api/booking/rooms/{room_id}/retire"))
    flash(gettext("The room %(name)s is retired: it can no longer be booked.", name=room["name"]), "success")
    site = next((s for s in room_sites() if s["id"] == room["site_id"]), None)
    return redirect(url_for("admin.rooms", site=site["slug"] if site else None))


# -- accounts --------------------------------------------------------------------------------------------
@admin_pages.get("/accounts")
@roles_required("admin")
def accounts():
    return render_template("admin/accounts.html", accounts=require(client.get("/api/accounts")))


@admin_pages.route("/accounts/<account_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_account(account_id: str):
    account = next((a for a in require(client.get("/api/accounts")) if a["id"] == account_id), None)
    if account is None:
        from gateway.web.pages import PageNotFound

        raise PageNotFound()
    organisations = require(client.get("/api/organisations"))
    form = FormState({"roles": account["roles"],
                      "organisation_id": (account.get("organisation") or {}).get("id") or ""})
    if request.method == "POST":
        form = FormState({"roles": [r for r in request.form.getlist("roles") if r in ROLE_NAMES],
                          "organisation_id": request.form.get("organisation_id", "")})
        result = client.patch(f"/api/accounts/{account_id}", {"roles": form.values["roles"],
                                                              "organisation_id": form.values["organisation_id"]
                                                              or None})
        if result.ok:
            flash(gettext("The roles of %(name)s are saved.", name=account["display_name"]), "success")
            return redirect(url_for("admin.accounts"))
        form.take_problem(result, fields=("roles", "organisation_id"))
        return render_template("admin/account_form.html", form=form, account=account,
                               organisations=organisations), result.status
    return render_template("admin/account_form.html", form=form, account=account, organisations=organisations)


# -- API keys --------------------------------------------------------------------------------------------
@admin_pages.route("/api-keys", methods=["GET", "POST"])
@roles_required("admin")
def api_keys():
    form = FormState({"roles": []})
    created = None
    status = 200
    if request.method == "POST":
        form = FormState({"name": request.form.get("name", "").strip(),
                          "roles": [r for r in request.form.getlist("roles") if r in ROLE_NAMES]})
        result = client.post("/api/api-keys", form.values)
        if result.ok:
            # Shown once, on this answer only: the key is never kept in the session or shown again.
            created = result.body
            form = FormState({"roles": []})
            status = 201
        else:
            form.take_problem(result, fields=("name", "roles"))
            status = result.status
    keys = require(client.get("/api/api-keys"))
    page = render_template("admin/api_keys.html", keys=keys, form=form, created=created)
    return page, status, {"Cache-Control": "no-store"}


@admin_pages.post("/api-keys/<key_id>/revoke")
@roles_required("admin")
def revoke_api_key(key_id: str):
    key = require(client.delete(f"/api/api-keys/{key_id}"))
    flash(gettext("The key %(name)s is revoked.", name=key["name"]), "success")
    return redirect(url_for("admin.api_keys"))
