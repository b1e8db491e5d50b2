"""Pages for everyone: home, a page per site, sign in, sign up, my account, the language switch."""
from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_wtf.csrf import CSRFError

from gateway.web import client
from gateway.web.forms import (
    FormState,
    NotAllowed,
    SessionExpired,
    Unavailable,
    has_role,
    require,
    safe_next,
    signed_in,
)
from gateway.web.i18n import LANGUAGES
from gateway.web.today import todays_sections

pages = Blueprint("pages", __name__)
log = logging.getLogger("veilleuse.web")


class PageNotFound(Exception):
    pass


@pages.before_app_request
def _check_csrf():
    # Only the pages' forms carry a CSRF token; the JSON API under /api/ uses Bearer tokens.
    from gateway.web import PAGE_BLUEPRINTS, csrf

    if request.method == "POST" and request.blueprint in PAGE_BLUEPRINTS:
        csrf.protect()


@pages.app_context_processor
def _layout_context():
    return {"signed_in": bool(session.get("token")), "person_name": session.get("name"),
            "has_role": has_role, "here": request.full_path.rstrip("?") if request else "/"}


@pages.app_errorhandler(SessionExpired)
def _session_expired(_exc):
    session.clear()
    flash(gettext("Your session has ended: sign in again."), "info")
    return redirect(url_for("pages.sign_in", next=request.full_path.rstrip("?")))


@pages.app_errorhandler(NotAllowed)
def _not_allowed(_exc):
    return render_template("message.html", title=gettext("Not allowed"),
                           message=gettext("This page is for other roles; ask an admin if you need it.")), 403


@pages.app_errorhandler(Unavailable)
def _unavailable(exc):
    return render_template("message.html", title=gettext("Temporarily unavailable"),
                           message=gettext("Part of the platform does not answer right now; try again in a "
                                           "moment.")), 503


@pages.app_errorhandler(PageNotFound)
def _page_not_found(_exc):
    return render_template("message.html", title=gettext("Page not found"),
                           message=gettext("Nothing is at this address.")), 404


@pages.app_errorhandler(CSRFError)
def _csrf_failed(exc):
    if request.path.startswith("/api/"):
        raise exc
    return render_template("message.html", title=gettext("The form has expired"),
                           message=gettext("Go back, reload the page and send the form again.")), 400


def page_error(exc: Exception):
    """Any error on a page is answered with a page, never with the API's JSON problem."""
    from werkzeug.exceptions import HTTPException

    for kind, handler in ((SessionExpired, _session_expired), (NotAllowed, _not_allowed),
                          (Unavailable, _unavailable), (PageNotFound, _page_not_found), (CSRFError, _csrf_failed)):
        if isinstance(exc, kind):
            return handler(exc)
    if isinstance(exc, HTTPException) and (exc.code or 500) < 500:
        if exc.code == 404:
            return _page_not_found(exc)
        return render_template("message.html", title=gettext("This did not work"),
                               message=gettext("Go back, reload the page and try again.")), exc.code
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_template("message.html", title=gettext("Something went wrong"),
                           message=gettext("Something went wrong on our side; it has been logged. Try again "
                                           "in a moment.")), 500


pages.register_error_handler(Exception, page_error)


@pages.post("/language")
def switch_language():
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        # A language picked with the switch wins over the account's preference at the next sign-in.
        session.update(lang=chosen, lang_chosen=True)
    return redirect(safe_next(request.form.get("next"), url_for("pages.home")))


@pages.get("/")
def home():
    sites = require(client.get("/api/sites"))
    return render_template("home.html", sites=sites)


@pages.get("/sites/<slug>")
def site(slug: str):
    found = client.get(f"/api/sites/{slug}")
    if found.status == 404:
        raise PageNotFound()
    site_data = require(found)
    rooms = client.get("/api/booking/rooms", query={"site": site_data["slug"]})
    # A site the booking service has not heard of yet simply has no rooms; an outage says so.
    room_list = rooms.body if rooms.ok else (None if rooms.status >= 500 else [])
    return render_template("site.html", site=site_data, rooms=room_list,
                           sections=todays_sections(site_data))


# -- signing in and out ------------------------------------------------------------------------
def open_session(token: str) -> dict:
    account = require(client.get("/api/accounts/me", token=token))
    chosen = session.get("lang") if session.get("lang_chosen") else None
    session.clear()
    session.update(token=token, account_id=account["id"], name=account["display_name"],
                   roles=list(account.get("roles") or ()), lang=chosen or account.get("language") or "fr",
                   lang_chosen=bool(chosen), organisation=(account.get("organisation") or {}).get("name"),
                   organisation_id=(account.get("organisation") or {}).get("id"))
    return account


@pages.route("/signin", methods=["GET", "POST"])
def sign_in():
    next_page = safe_next(request.values.get("next"), url_for("pages.account"))
    form = FormState({"email": request.form.get("email", "")})
    if request.method == "POST":
        result = client.post("/api/auth/token", {"email": request.form.get("email", "").strip(),
                                                 "password": request.form.get("password", "")}, anonymous=True)
        if result.ok:
            open_session(result.body["access_token"])
            flash(gettext("Welcome, %(name)s.", name=session["name"]), "success")
            return redirect(next_page)
        if result.status == 429:
            form.summary = gettext("Too many attempts: wait a minute and try again.")
        else:
            form.take_problem(result, fields=("email", "password"))
        return render_template("sign_in.html", form=form, next=next_page), result.status
    return render_template("sign_in.html", form=form, next=next_page)


@pages.route("/signup", methods=["GET", "POST"])
def sign_up():
    form = FormState({"language": session.get("lang", "fr")})
    if request.method == "POST":
        form = FormState({name: request.form.get(name, "").strip()
                          for name in ("email", "display_name", "language")})
        password = request.form.get("password", "")
        result = client.post("/api/accounts", {**form.values, "password": password}, anonymous=True)
        if result.ok:
            token = client.post("/api/auth/token", {"email": form.values["email"], "password": password},
                                anonymous=True)
            open_session(require(token)["access_token"])
            flash(gettext("Your account is ready."), "success")
            return redirect(url_for("pages.account"))
        form.take_problem(result, fields=("email", "display_name", "language", "password"))
        return render_template("sign_up.html", form=form), result.status
    return render_template("sign_up.html", form=form)


@pages.post("/signout")
def sign_out():
    language, chosen = session.get("lang"), session.get("lang_chosen")
    session.clear()
    if language:
        session.update(lang=language, lang_chosen=bool(chosen))
    flash(gettext("You are signed out."), "success")
    return redirect(url_for("pages.home"))


# -- my account ------------------------------------------------------------------------------------
@pages.route("/account", methods=["GET", "POST"])
@signed_in
def account():
    me = require(client.get("/api/accounts/me"))
    form = FormState({"display_name": me["display_name"], "language": me["language"]})
    password_form = FormState()
    status = 200
    if request.method == "POST" and request.form.get("action") == "profile":
        form = FormState({name: request.form.get(name, "").strip() for name in ("display_name", "language")})
        result = client.patch("/api/accounts/me", form.values)
        if result.ok:
            session.update(name=result.body["display_name"], lang=result.body["language"], lang_chosen=False)
            flash(gettext("Your changes are saved."), "success")
            return redirect(url_for("pages.account"))
        form.take_problem(result, fields=("display_name", "language"))
        status = result.status
    elif request.method == "POST" and request.form.get("action") == "password":
        result = client.patch("/api/accounts/me", {"current_password": request.form.get("current_password", ""),
                                                   "password": request.form.get("password", "")})
        if result.ok:
            # A new password ends the sessions opened before it, this one included.
            token = client.post("/api/auth/token", {"email": me["email"], "password": request.form["password"]},
                                anonymous=True)
            if token.ok:
                open_session(token.body["access_token"])
            flash(gettext("Your password is changed."), "success")
            return redirect(url_for("pages.account"))
        password_form.take_problem(result, fields=("current_password", "password"))
        status = result.status
    return render_template("account.html", me=me, form=form, password_form=password_form,
                           delete_form=FormState()), status


@pages.post("/account/delete")
@signed_in
def delete_account():
    if request.form.get("confirm") != "yes":
        me = require(client.get("/api/accounts/me"))
        delete_form = FormState()
        delete_form.error("confirm", gettext("Tick the box to confirm that you want to delete your account."))
        return render_template("account.html", me=me, form=FormState(me), password_form=FormState(),
                               delete_form=delete_form), 422
    result = client.delete("/api/accounts/me")
    if not result.ok:
        require(result)
    language = session.get("lang")
    session.clear()
    session["lang"] = language or "fr"
    flash(gettext("Your account is deleted. Goodbye!"), "success")
    return redirect(url_for("pages.home"))
