"""End to end through the gateway under gunicorn and its worker: a forgotten password, told by a real mail."""
from __future__ import annotations

import re
import time
import uuid

import requests

PASSWORD = "un mot de passe assez long"


def reset_link(mail) -> str:
    found = re.search(r"(http://127\.0\.0\.1:\d+)/password-reset\?token=([\w-]+)", mail.text)
    assert found, mail.text
    return found.group(2)


def test_a_forgotten_password_is_reset_by_the_link_in_the_mail_once(system):
    email = f"oubli-{uuid.uuid4().hex[:8]}@example.test"
    signed_up = requests.post(system.url("/api/accounts"), json={
        "email": email, "password": PASSWORD, "display_name": "Oubli", "language": "en"}, timeout=10)
    assert signed_up.status_code == 201
    old_session = {"Authorization": f"Bearer {system.token(email, PASSWORD)}"}
    time.sleep(1.1)  # access tokens carry whole seconds: the reset must come in a later one to end it

    asked = requests.post(system.url("/api/auth/password-reset"), json={"email": email.upper()}, timeout=10)
    assert asked.status_code == 202
    unknown = requests.post(system.url("/api/auth/password-reset"), json={"email": "nobody-" + email}, timeout=10)
    assert (unknown.status_code, unknown.json()) == (202, asked.json())

    mails = system.mailbox.wait_for(lambda m: email in m.recipients and "/password-reset?" in m.text)
    assert len(mails) == 1 and mails[0].recipients == [email]
    assert mails[0].subject == "Choose a new password"
    assert reset_link(mails[0]) in mails[0].html
    token = reset_link(mails[0])

    done = requests.post(system.url("/api/auth/password-reset/confirm"),
                         json={"token": token, "password": "un tout nouveau secret"}, timeout=10)
    assert done.status_code == 204
    old = requests.post(system.url("/api/auth/token"), json={"email": email, "password": PASSWORD}, timeout=10)
    assert old.status_code == 401
    assert system.token(email, "un tout nouveau secret")
    assert requests.get(system.url("/api/accounts/me"), headers=old_session, timeout=10).status_code == 401

    again = requests.post(system.url("/api/auth/password-reset/confirm"),
                          json={"token": token, "password": "encore un autre secret"}, timeout=10)
    assert again.status_code == 422
    assert again.headers["Content-Type"].startswith("application/problem+json")
    assert not any("nobody-" + email in m.recipients for m in system.mailbox.received)


def test_signing_up_sends_the_confirmation_and_the_pages_confirm_it(system):
    email = f"neuf-{uuid.uuid4().hex[:8]}@example.test"
    requests.post(system.url("/api/accounts"), json={
        "email": email, "password": PASSWORD, "display_name": "Neuf"}, timeout=10).raise_for_status()
    [mail] = system.mailbox.wait_for(lambda m: email in m.recipients)
    assert mail.subject == "Confirmez votre adresse e-mail"
    token = re.search(r"/confirm-email\?token=([\w-]+)", mail.text).group(1)
    auth = {"Authorization": f"Bearer {system.token(email, PASSWORD)}"}
    before = requests.get(system.url("/api/accounts/me/notifications"), headers=auth, timeout=10).json()
    assert before["email_confirmed"] is False
    confirmed = requests.post(system.url("/api/auth/email-confirmation/confirm"), json={"token": token}, timeout=10)
    assert confirmed.status_code == 204
    after = requests.get(system.url("/api/accounts/me/notifications"), headers=auth, timeout=10).json()
    assert after["email_confirmed"] is True
