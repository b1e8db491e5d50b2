"""Pages of the notifier: forgotten password, new password, address confirmation, preferences, one-click
unsubscribe, and for admins the delivery report and (in development) the mails written to files."""
from __future__ import annotations

import email
import email.policy
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from gateway.notifications import service, tokens
from gateway.notifications.api import notifier
from gateway.web import client
from gateway.web.forms import FormState, require, roles_required, signed_in
from gateway.web.pages import page_error
from shared.web import database

notification_pages = Blueprint("notification_pages", __name__)
notification_pages.register_error_handler(Exception, page_error)


def _protect() -> None:
    from gateway.web import csrf

    csrf.protect()


def _link_problem(result) -> str:
    slug = (result.problem.get("type") or "").rsplit("/", 1)[-1]
    if slug == "link-expired":
        return gettext("This link has expired: ask for a new one.")
    if slug == "link-used":
        return gettext("This link was already used: ask for a new one if you need it.")
    return gettext("This link is not valid: check that it was copied whole, or ask for a new one.")


# -- forgotten password ---------------------------------------------------------------------------------
@notification_pages.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = FormState({"email": request.form.get("email", "")})
    if request.method == "POST":
        _protect()
        result = client.post("/api/auth/password-reset", {"email": form.values["email"].strip()}, anonymous=True)
        if result.ok:
            return render_template("message.html", title=gettext("Check your mailbox"),
                                   message=gettext("If an account uses this address, a link to choose a new "
                                                   "password is on its way. It works for 30 minutes."))
        if result.status == 429:
            form.summary = gettext("Too many attempts: wait a minute and try again.")
        else:
            form.take_problem(result, fields=("email",))
        return render_template("notifications/forgot_password.html", form=form), result.status
    return render_template("notifications/forgot_password.html", form=form)


@notification_pages.route("/password-reset", methods=["GET", "POST"])
def password_reset():
    token = request.values.get("token", "")
    form = FormState()
    if request.method == "POST":
        _protect()
        result = client.post("/api/auth/password-reset/confirm",
                             {"token": token, "password": request.form.get("password", "")}, anonymous=True)
        if result.ok:
            flash(gettext("Your new password is set: sign in with it."), "success")
            return redirect(url_for("pages.sign_in"))
        if "token" in (result.problem.get("errors") or {}):
            form.summary = _link_problem(result)
        else:
            form.take_problem(result, fields=("password",))
        return render_template("notifications/password_reset.html", form=form, token=token), result.status
    return render_template("notifications/password_reset.html", form=form, token=token)


# -- address confirmation ----------------------------------------------------------------------------------
@notification_pages.route("/confirm-email", methods=["GET", "POST"])
def confirm_email():
    token = request.values.get("token", "")
    if request.method == "POST":
        _protect()
        result = client.post("/api/auth/email-confirmation/confirm", {"token": token}, anonymous=True)
        if result.ok:
            return render_template("message.html", title=gettext("Address confirmed"),
                                   message=gettext("Thank you: your address is confirmed. You will receive "
                                                   "the messages you chose."))
        return render_template("message.html", title=gettext("This link does not work"),
                               message=_link_problem(result)), result.status
    # Confirming takes a click: mail scanners that follow links must not confirm by themselves.
    return render_template("notifications/confirm_email.html", token=token)


@notification_pages.post("/account/confirmation")
@signed_in
def resend_confirmation():
    _protect()
    result = client.post("/api/auth/email-confirmation")
    if result.ok:
        flash(gettext("A confirmation link is on its way to your address."), "success")
    elif result.status == 429:
        flash(gettext("Too many attempts: wait a minute and try again."), "error")
    else:
        require(result)
    return redirect(url_for("notification_pages.preferences"))


# -- preferences -------------------------------------------------------------------------------------------
def topic_texts() -> list[tuple[str, str, str]]:
    return [
        ("amap", gettext("AMAP baskets"),
         gettext("The reminder the day before with your pickup code, a distribution moved or cancelled, "
                 "an absence recorded.")),
        ("rooms", gettext("Room bookings"), gettext("Your booking confirmed, declined or cancelled.")),
        ("volunteering", gettext("Volunteering"),
         gettext("A distribution short of volunteers; for veilleurs, the booking requests to approve.")),
        ("grocery", gettext("Social grocery"),
         gettext("For referents: a household's access that ends in 14 days.")),
        ("housing", gettext("Housing"),
         gettext("Your offer reviewed, new matches, interest from the other side, new messages, a request "
                 "about to expire.")),
    ]


@notification_pages.route("/account/notifications", methods=["GET", "POST"])
@signed_in
def preferences():
    if request.method == "POST":
        _protect()
        chosen = set(request.form.getlist("topics"))
        result = client.patch("/api/accounts/me/notifications",
                              {"topics": {topic: topic in chosen for topic in service.TOPICS}})
        require(result)
        flash(gettext("Your choices are saved."), "success")
        return redirect(url_for("notification_pages.preferences"))
    current = require(client.get("/api/accounts/me/notifications"))
    return render_template("notifications/preferences.html", current=current, topics=topic_texts())


# -- one-click unsubscribe (RFC 8058): no sign-in, the signed token is the authority ---------------------
def _topic_name(topic: str) -> str:
    return next((name for key, name, _ in topic_texts() if key == topic), topic)


@notification_pages.route("/unsubscribe", methods=["GET", "POST"])
def unsubscribe():
    token = request.values.get("token", "")
    if request.method == "POST":
        # Mail programs post `List-Unsubscribe=One-Click` without cookies: no CSRF token is possible, and
        # none is needed: the token names the one person and topic it stops.
        try:
            with database().transaction() as session:
                _, topic = service.unsubscribe(session, notifier().secret, token, service.clock())
        except tokens.TokenRefused:
            return render_template("message.html", title=gettext("This link does not work"),
                                   message=gettext("This link is not valid: check that it was copied whole.")), 400
        return render_template("message.html", title=gettext("You are unsubscribed"),
                               message=gettext("You will no longer receive messages about: %(topic)s. You can "
                                               "change this on the page of your notification settings.",
                                               topic=_topic_name(topic)))
    try:
        _, topic = tokens.read_unsubscribe_token(notifier().secret, token)
    except tokens.TokenRefused:
        return render_template("message.html", title=gettext("This link does not work"),
                               message=gettext("This link is not valid: check that it was copied whole.")), 400
    return render_template("notifications/unsubscribe.html", token=token, topic=_topic_name(topic))


# -- for admins ---------------------------------------------------------------------------------------------
def _mail_folder() -> Path | None:
    mail = notifier().mail
    return mail.files_dir if mail.smtp_url is None else None


def _read_mail(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


@notification_pages.get("/admin/notifications")
@roles_required("admin")
def report():
    found = require(client.get("/api/notifications/report"))
    folder = _mail_folder()
    mails = []
    if folder is not None and folder.is_dir():
        for path in sorted(folder.glob("*.eml"), reverse=True)[:100]:
            message = _read_mail(path)
            mails.append({"name": path.name, "subject": message["Subject"], "to": message["To"],
                          "date": message["Date"]})
    return render_template("notifications/report.html", report=found, mails=mails, files=folder is not None)


@notification_pages.get("/admin/mail/<name>")
@roles_required("admin")
def mail_file(name: str):
    folder = _mail_folder()
    if folder is None or "/" in name or not name.endswith(".eml") or not (folder / name).is_file():
        abort(404)
    message = _read_mail(folder / name)
    body = message.get_body(preferencelist=("plain",))
    return render_template("notifications/mail_file.html", message=message,
                           text=body.get_content() if body else "")
