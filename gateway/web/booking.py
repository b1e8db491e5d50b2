"""Room booking pages: request a room with its price, my reservations, and the veilleur's approvals."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext

from gateway.web import client
from gateway.web.forms import FormState, NotAllowed, raise_for_session, require, roles_required, signed_in
from gateway.web.pages import page_error

booking_pages = Blueprint("booking", __name__)
booking_pages.register_error_handler(Exception, page_error)
STAFF = ("veilleur", "admin")
# API field -> form field
FIELD_OF = {"starts_at": "starts", "ends_at": "ends", "room": "room", "attendees": "attendees", "title": "title"}


def rooms_by_id() -> dict[str, dict]:
    found = client.get("/api/booking/rooms")
    return {room["id"]: room for room in found.body} if found.ok else {}


def read_request_form(site: dict) -> tuple[FormState, dict]:
    names = ("room", "date", "starts", "ends", "attendees", "title", "public")
    form = FormState({name: request.form.get(name, "").strip() for name in names})
    body: dict = {"room": form.values["room"], "title": form.values["title"] or None,
                  "public": form.values["public"] == "yes"}
    zone = ZoneInfo(site.get("timezone") or "Europe/Paris")
    try:
        day = date.fromisoformat(form.values["date"])
    except ValueError:
        day = None
        form.error("date", gettext("Give a date, for example 2026-12-03."))
    for name, key in (("starts", "starts_at"), ("ends", "ends_at")):
        try:
            moment = time.fromisoformat(form.values[name])
        except ValueError:
            form.error(name, gettext("Give a time as HH:MM, for example 18:00."))
            continue
        if day:
            body[key] = datetime.combine(day, moment, tzinfo=zone).isoformat()
    if form.values["attendees"].isdigit():
        body["attendees"] = int(form.values["attendees"])
    else:
        form.error("attendees", gettext("Give a whole number of people, for example 10."))
    return form, body


def take_booking_problem(form: FormState, result) -> None:
    raise_for_session(result)
    for key, messages in (result.problem.get("errors") or {}).items():
        form.errors.setdefault(FIELD_OF.get(key, key), []).extend(
            messages if isinstance(messages, list) else [str(messages)])
    form.summary = result.problem.get("detail") or result.problem.get("title")


@booking_pages.route("/sites/<slug>/book", methods=["GET", "POST"])
@signed_in
def book(slug: str):
    site = require(client.get(f"/api/sites/{slug}"))
    rooms = require(client.get("/api/booking/rooms", query={"site": slug}))
    form = FormState({name: request.args.get(name, "") for name in ("room", "date", "starts", "ends")})
    quote, status = None, 200
    if request.method == "POST":
        form, body = read_request_form(site)
        if not form.errors:
            if request.form.get("action") == "request":
                result = client.post("/api/booking/reservations", body)
                if result.ok:
                    flash(gettext("Your booking is confirmed.") if result.body["status"] == "confirmed" else
                          gettext("Your request is sent: a volunteer on duty will confirm it."), "success")
                    return redirect(url_for("booking.my_reservations"))
            else:
                result = client.get("/api/booking/quote", query={
                    "room": body["room"], "starts_at": body["starts_at"], "ends_at": body["ends_at"]})
                if result.ok:
                    quote = result.body
            if not result.ok:
                take_booking_problem(form, result)
        status = 200 if quote else 422
    return render_template("booking/book.html", site=site, rooms=[r for r in rooms if r["status"] == "active"],
                           form=form, quote=quote), status


@booking_pages.get("/sites/<slug>/calendar")
def calendar(slug: str):
    """A week of the site's rooms, day by day: free spans (each a link to book it) and taken ones."""
    from datetime import timedelta

    site = require(client.get(f"/api/sites/{slug}"))
    zone = ZoneInfo(site.get("timezone") or "Europe/Paris")
    today = datetime.now(zone).date()
    try:
        start = date.fromisoformat(request.args.get("week", ""))
    except ValueError:
        start = today
    start -= timedelta(days=start.weekday())
    end = start + timedelta(days=7)
    found = require(client.get("/api/booking/availability", query={
        "site": slug, "from": datetime.combine(start, time(0), tzinfo=zone).isoformat(),
        "to": datetime.combine(end, time(0), tzinfo=zone).isoformat()}))
    days = []
    for offset in range(7):
        day = start + timedelta(days=offset)
        rooms = []
        for room in found.get("rooms", []):
            def on_day(spans, day=day):
                return [s for s in spans if datetime.fromisoformat(s["starts_at"]).astimezone(zone).date() == day]
            rooms.append({"room": room, "free": on_day(room.get("free", [])), "busy": on_day(room.get("busy", []))})
        days.append({"date": day, "rooms": rooms, "past": day < today})
    return render_template("booking/calendar.html", site=site, days=days, week=start,
                           previous=start - timedelta(days=7), next=end, zone=zone)


@booking_pages.get("/reservations")
@signed_in
def my_reservations(calendar_link: str | None = None, status: int = 200):
    reservations = require(client.get("/api/booking/reservations", query={"mine": "true"}))
    reservations.sort(key=lambda r: r["starts_at"], reverse=True)
    page = render_template("booking/reservations.html", reservations=reservations, rooms=rooms_by_id(),
                           organisation=session.get("organisation"), calendar_link=calendar_link)
    return page, status, {"Cache-Control": "no-store"} if calendar_link else {}


@booking_pages.post("/reservations/calendar-link")
@signed_in
def calendar_link():
    """A new secret address of the organisation's private calendar (the old one stops working)."""
    organisation_id = session.get("organisation_id")
    if not organisation_id:
        raise NotAllowed()
    made = require(client.post(f"/api/booking/calendars/organisations/{organisation_id}/token"))
    return my_reservations(calendar_link=request.host_url.rstrip("/") + "/api/booking" + made["feed"], status=201)


@booking_pages.post("/reservations/<reservation_id>/cancel")
@signed_in
def cancel(reservation_id: str):
    result = client.post(f"/api/booking/reservations/{reservation_id}/cancel")
    if result.ok:
        flash(gettext("The reservation is cancelled."), "success")
    else:
        raise_for_session(result)
        flash(result.problem.get("detail") or gettext("Something went wrong; try again."), "error")
    return redirect(request.form.get("back") if request.form.get("back") == url_for("relay.dashboard")
                    else url_for("booking.my_reservations"))


def waiting_for_approval(site_slug: str) -> list[dict] | None:
    result = client.get("/api/booking/reservations", query={"status": "requested", "site": site_slug})
    return sorted(result.body, key=lambda r: r["starts_at"]) if result.ok else None


@booking_pages.post("/veilleur/reservations/<reservation_id>/<decision>")
@roles_required(*STAFF)
def decide(reservation_id: str, decision: str):
    site = request.form.get("site", "")
    if decision == "confirm":
        result = client.post(f"/api/booking/reservations/{reservation_id}/confirm")
        done = gettext("The booking is confirmed.")
    elif decision == "decline":
        result = client.post(f"/api/booking/reservations/{reservation_id}/decline",
                             {"reason": request.form.get("reason", "").strip()})
        done = gettext("The booking is declined; the reason is sent with it.")
    else:
        from gateway.web.pages import PageNotFound

        raise PageNotFound()
    if result.ok:
        flash(done, "success")
    else:
        raise_for_session(result)
        errors = result.problem.get("errors") or {}
        flash(gettext("Give the reason for declining.") if "reason" in errors
              else result.problem.get("detail") or gettext("Something went wrong; try again."), "error")
    return redirect(url_for("relay.dashboard", site=site or None))
