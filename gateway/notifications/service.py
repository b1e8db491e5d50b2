"""Use cases of the notifier: deciding a message for a person, preferences, links sent by mail; no Flask here."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from gateway.models import Account
from gateway.notifications import tokens
from gateway.notifications.models import (
    AccountToken,
    ConfirmedAddress,
    Notification,
    OutgoingMail,
    Preference,
)
from gateway.notifications.render import Attachment, compose, language_of, render
from gateway.notifications.settings import MailSettings
from shared.events import utcnow
from shared.problems import Problem, invalid

log = logging.getLogger("veilleuse.notifier")

SECURITY = "security"
# Topics a person may turn off, in the order the preferences page shows them.
TOPICS = ("amap", "rooms", "volunteering", "grocery", "housing")
KINDS = {
    "accounts.confirm_address": SECURITY, "accounts.password_reset": SECURITY,
    "accounts.invitation": SECURITY, "accounts.erased": SECURITY,
    "amap.reminder": "amap", "amap.moved": "amap", "amap.cancelled": "amap", "amap.absence": "amap",
    "amap.unstaffed": "volunteering", "rooms.requested": "volunteering",
    "rooms.approved": "rooms", "rooms.declined": "rooms", "rooms.cancelled": "rooms",
    "grocery.access_ending": "grocery",
    "housing.offer_published": "housing", "housing.offer_sent_back": "housing",
    "housing.new_match": "housing", "housing.interested": "housing", "housing.accepted": "housing",
    "housing.messages": "housing", "housing.request_expiring": "housing",
}
# Messages that prove an address by their link: sent before the address is confirmed.
CONFIRMING = {"accounts.confirm_address", "accounts.password_reset", "accounts.invitation"}
STATUSES = ("queued", "sent", "failed")


def clock() -> datetime:
    """Now; tests replace it to move time."""
    return utcnow()


@dataclass(frozen=True)
class Notifier:
    """What deciding a message needs: where links point, who sends, the key of unsubscribe links."""

    mail: MailSettings
    secret: str

    def url(self, path: str, **query) -> str:
        return self.mail.base_url + path + (("?" + urlencode(query)) if query else "")

    def unsubscribe_url(self, account_id: str, topic: str) -> str:
        return self.url("/unsubscribe", token=tokens.unsubscribe_token(self.secret, account_id, topic))


@dataclass(frozen=True)
class Recipient:
    account_id: str | None
    email: str
    name: str
    language: str

    @classmethod
    def of(cls, account: Account) -> "Recipient":
        return cls(account.id, account.email, account.display_name, language_of(account.language))


def is_confirmed(session: Session, account: Account) -> bool:
    row = session.get(ConfirmedAddress, account.id)
    return row is not None and row.email == account.email


def mark_confirmed(session: Session, account: Account, now: datetime) -> None:
    row = session.get(ConfirmedAddress, account.id)
    if row is None:
        session.add(ConfirmedAddress(account_id=account.id, email=account.email, confirmed_at=now))
    elif row.email != account.email:
        row.email, row.confirmed_at = account.email, now
    session.flush()


def wants(session: Session, account_id: str, topic: str) -> bool:
    if topic == SECURITY:
        return True
    row = session.get(Preference, (account_id, topic))
    return row is None or row.enabled


def audience(session: Session, account_ids: list[str]) -> tuple[dict[str, str], dict[tuple[str, str], bool]]:
    """Confirmed addresses and chosen topics of many accounts at once (a reminder goes to thousands)."""
    if not account_ids:
        return {}, {}
    confirmed = dict(session.execute(select(ConfirmedAddress.account_id, ConfirmedAddress.email)
                                     .where(ConfirmedAddress.account_id.in_(account_ids))).all())
    chosen = {(a, t): e for a, t, e in session.execute(
        select(Preference.account_id, Preference.topic, Preference.enabled)
        .where(Preference.account_id.in_(account_ids))).all()}
    return confirmed, chosen


def notify(session: Session, notifier: Notifier, recipient: Recipient, kind: str, dedup_key: str,
           context: dict, now: datetime, attachments: list[Attachment] = (),
           account: Account | None = None, known: tuple[dict, dict] | None = None) -> Notification | None:
    """Decide one message: queued with its rendered mail, or None when it must not be sent.

    Never twice for one `dedup_key`; never to an address not yet confirmed (but the messages whose
    link proves it); never on a topic the person turned off (but security messages)."""
    topic = KINDS[kind]
    if session.scalar(select(Notification.id).where(Notification.dedup_key == dedup_key)) is not None:
        return None
    if recipient.account_id is not None and kind not in CONFIRMING:
        account = account or session.get(Account, recipient.account_id)
        if known is not None:
            confirmed = account is not None and known[0].get(account.id) == account.email
            wanted = topic == SECURITY or known[1].get((recipient.account_id, topic), True)
        else:
            confirmed = account is not None and is_confirmed(session, account)
            wanted = wants(session, recipient.account_id, topic)
        if not confirmed:
            log.info("not sent: address not confirmed", extra={"kind": kind})
            return None
        if not wanted:
            return None
    notification_id = str(uuid.uuid4())
    unsubscribe = (notifier.unsubscribe_url(recipient.account_id, topic)
                   if topic != SECURITY and recipient.account_id else None)
    rendered = render(kind, recipient.language, {
        "name": recipient.name, "unsubscribe_url": unsubscribe, "base_url": notifier.mail.base_url,
        "preferences_url": notifier.url("/account/notifications"), **context})
    rendered.attachments.extend(attachments)
    message = compose(rendered, sender=notifier.mail.mail_from, recipient=recipient.email,
                      recipient_name=recipient.name, language=recipient.language,
                      notification_id=notification_id, unsubscribe_url=unsubscribe, sent_at=now)
    notification = Notification(id=notification_id, kind=kind, topic=topic, account_id=recipient.account_id,
                                dedup_key=dedup_key, status="queued", attempts=0, next_attempt_at=now,
                                created_at=now)
    session.add(notification)
    session.add(OutgoingMail(notification_id=notification_id, recipient=recipient.email, message=message))
    return notification


# -- preferences ----------------------------------------------------------------------------------------
def preferences(session: Session, account_id: str) -> dict[str, bool]:
    chosen = dict(session.execute(select(Preference.topic, Preference.enabled)
                                  .where(Preference.account_id == account_id)).all())
    return {topic: chosen.get(topic, True) for topic in TOPICS}


def set_preferences(session: Session, account_id: str, changes: dict[str, bool], now: datetime) -> dict[str, bool]:
    for topic, enabled in changes.items():
        if topic not in TOPICS:
            raise invalid(topic, f"not a topic; topics are {', '.join(TOPICS)}")
        row = session.get(Preference, (account_id, topic))
        if row is None:
            session.add(Preference(account_id=account_id, topic=topic, enabled=bool(enabled), updated_at=now))
        else:
            row.enabled, row.updated_at = bool(enabled), now
    session.flush()
    return preferences(session, account_id)


def unsubscribe(session: Session, secret: str, token: str, now: datetime) -> tuple[str, str]:
    """One click from a mail: the topic of that mail is turned off for its reader."""
    account_id, topic = tokens.read_unsubscribe_token(secret, token)
    if topic not in TOPICS:
        raise tokens.TokenRefused("unknown")
    if session.get(Account, account_id) is not None:
        set_preferences(session, account_id, {topic: False}, now)
    return account_id, topic


# -- links sent by mail: confirmation, password reset ------------------------------------------------
def send_confirmation(session: Session, notifier: Notifier, account: Account, now: datetime) -> bool:
    """Send the link that proves the account's address; False when it is already proved."""
    if is_confirmed(session, account):
        return False
    token = tokens.issue(session, tokens.CONFIRMATION, now, account_id=account.id, email=account.email)
    notify(session, notifier, Recipient.of(account), "accounts.confirm_address",
           f"accounts.confirm_address:{tokens.token_hash(token)}",
           {"confirm_url": notifier.url("/confirm-email", token=token)}, now)
    return True


def _refused(reason: str) -> Problem:
    details = {"expired": "This link has expired: ask for a new one.",
               "used": "This link was already used: ask for a new one if you need it.",
               "unknown": "This link is not valid: check that it was copied whole, or ask for a new one."}
    return Problem(422, "Invalid link", details.get(reason, details["unknown"]), slug=f"link-{reason}",
                   errors={"token": [f"link {reason}"]})


def confirm_address(session: Session, token: str, now: datetime) -> Account:
    try:
        row = tokens.consume(session, tokens.CONFIRMATION, token, now)
    except tokens.TokenRefused as exc:
        raise _refused(exc.reason) from None
    account = session.get(Account, row.account_id) if row.account_id else None
    if account is None or account.email != row.email:
        raise _refused("unknown")
    mark_confirmed(session, account, now)
    return account


def request_password_reset(session: Session, notifier: Notifier, email: str, now: datetime) -> None:
    """Mail a reset link if an account has this address; the caller answers the same either way."""
    from gateway.service import normalise_email

    account = session.scalars(select(Account).where(Account.email == normalise_email(email))).first()
    if account is None:
        return
    token = tokens.issue(session, tokens.PASSWORD_RESET, now, account_id=account.id, email=account.email)
    notify(session, notifier, Recipient.of(account), "accounts.password_reset",
           f"accounts.password_reset:{tokens.token_hash(token)}",
           {"reset_url": notifier.url("/password-reset", token=token),
            "minutes": int(tokens.LIFETIMES[tokens.PASSWORD_RESET].total_seconds() // 60)}, now)


def reset_password(session: Session, token: str, password: str, now: datetime) -> Account:
    """Set a new password from a reset link; every session opened before ends (as a password change does)."""
    from gateway.service import check_password_rules, hasher

    row = session.scalars(select(AccountToken).where(
        AccountToken.token_hash == tokens.token_hash(token or ""))).first()
    account = session.get(Account, row.account_id) if row is not None and row.account_id else None
    if account is not None:
        check_password_rules(password, account.email)  # a weak password leaves the link usable
    try:
        row = tokens.consume(session, tokens.PASSWORD_RESET, token, now)
    except tokens.TokenRefused as exc:
        raise _refused(exc.reason) from None
    if account is None or account.email != row.email:
        raise _refused("unknown")
    account.password_hash = hasher.hash(password)
    account.password_changed_at = now  # ends the sessions opened before, as a password change does
    session.execute(update(AccountToken).where(
        AccountToken.account_id == account.id, AccountToken.purpose == tokens.PASSWORD_RESET,
        AccountToken.used_at.is_(None)).values(used_at=now))
    # Following the link proved the address.
    mark_confirmed(session, account, now)
    return account


# -- an account leaves ---------------------------------------------------------------------------------
def forget_account(session: Session, notifier: Notifier, account: Account, now: datetime) -> None:
    """Say goodbye, then keep nothing that names the person: preferences, links, pending mails, the log's link."""
    session.execute(delete(OutgoingMail).where(OutgoingMail.notification_id.in_(
        select(Notification.id).where(Notification.account_id == account.id, Notification.status == "queued"))))
    session.execute(update(Notification).where(Notification.account_id == account.id,
                                               Notification.status == "queued")
                    .values(status="failed", failed_at=now, last_error="account erased"))
    if is_confirmed(session, account):
        notify(session, notifier, Recipient.of(account), "accounts.erased", f"accounts.erased:{account.id}",
               {}, now)
    session.execute(update(Notification).where(Notification.account_id == account.id).values(account_id=None))
    session.execute(delete(Preference).where(Preference.account_id == account.id))
    session.execute(delete(AccountToken).where(AccountToken.account_id == account.id))
    session.execute(delete(ConfirmedAddress).where(ConfirmedAddress.account_id == account.id))


# -- what the admin sees -------------------------------------------------------------------------------
def delivery_report(session: Session, now: datetime, days: int = 7, limit: int = 100) -> dict:
    counts = dict(session.execute(select(Notification.status, func.count()).group_by(Notification.status)).all())
    since = now - timedelta(days=days)
    failures = session.scalars(select(Notification).where(
        Notification.status == "failed", Notification.failed_at >= since)
        .order_by(Notification.failed_at.desc()).limit(limit)).all()
    retrying = session.scalar(select(func.count()).where(Notification.status == "queued",
                                                         Notification.attempts > 0)) or 0
    return {"counts": {status: counts.get(status, 0) for status in STATUSES}, "retrying": retrying,
            "days": days,
            "failures": [{"id": n.id, "kind": n.kind, "topic": n.topic, "attempts": n.attempts,
                          "created_at": n.created_at, "failed_at": n.failed_at, "reason": n.last_error}
                         for n in failures]}
