"""Turning recorded events (and jobs' occurrences) into notifications: who is told what, once.

Each decision runs in one transaction with the notifications it queues, so it is decided once; a
service that does not answer makes it wait and try again with a growing delay."""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Account, Site
from gateway.notifications.models import Decision, DigestItem
from gateway.notifications.render import Attachment
from gateway.notifications.service import Notifier, Recipient, audience, notify
from gateway.notifications.sources import Sources, SourceUnavailable
from shared.db import Database

log = logging.getLogger("veilleuse.notifier")
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(minutes=30)
MAX_ATTEMPTS = 20
DIGEST_WAIT = timedelta(minutes=10)


@dataclass
class Context:
    notifier: Notifier
    sources: Sources
    now: datetime


Decider = Callable[[Session, Context, Decision], int]
DECIDERS: dict[str, Decider] = {}


def decides(*types: str):
    def register(fn: Decider) -> Decider:
        for type_ in types:
            DECIDERS[type_] = fn
        return fn
    return register


def record_decision(session: Session, decision_id: str, type_: str, data: dict, now: datetime,
                    subject: str | None = None) -> bool:
    """Remember something to decide; False when it is already known (a redelivery, a job's second look)."""
    if session.get(Decision, decision_id) is not None:
        return False
    session.add(Decision(id=decision_id, type=type_, subject=subject, data=data, created_at=now, attempts=0,
                         next_attempt_at=now))
    session.flush()
    return True


# -- helpers ---------------------------------------------------------------------------------------------
def _site(session: Session, site_id: str | None) -> dict:
    site = session.get(Site, site_id) if site_id else None
    if site is None:
        return {"name": "", "address": "", "timezone": "Europe/Paris", "slug": ""}
    return {"name": site.name, "address": site.address, "timezone": site.timezone, "slug": site.slug}


def _account(session: Session, account_id: str | None) -> Account | None:
    return session.get(Account, account_id) if account_id else None


def _veilleurs(session: Session) -> list[Account]:
    # Until roles are held per site, every veilleur hears of every site's needs.
    return [a for a in session.scalars(select(Account).order_by(Account.created_at)) if "veilleur" in (a.roles or ())]


def reservation_calendar(reservation: dict, site: dict) -> bytes:
    """The approved reservation as an iCalendar file, in UTC so that no clock change can misplace it."""
    calendar = Calendar()
    calendar.add("prodid", "-//Veilleuse//notifications//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"{reservation['id']}@veilleuse")
    event.add("dtstamp", datetime.fromisoformat(reservation["updated_at"]))
    event.add("dtstart", datetime.fromisoformat(reservation["starts_at"]))
    event.add("dtend", datetime.fromisoformat(reservation["ends_at"]))
    event.add("summary", reservation.get("title") or reservation["room_name"])
    event.add("location", ", ".join(filter(None, (reservation["room_name"], site["name"], site["address"]))))
    event.add("status", "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()


# -- rooms -----------------------------------------------------------------------------------------------
def _reservation_context(ctx: Context, reservation: dict, site: dict) -> dict:
    return {"reservation": reservation, "site": site, "tz": site["timezone"],
            "reservations_url": ctx.notifier.url("/reservations")}


@decides("booking.reservation.confirmed", "booking.reservation.declined", "booking.reservation.cancelled")
def reservation_outcome(session: Session, ctx: Context, decision: Decision) -> int:
    reservation = ctx.sources.reservation(decision.data["reservation_id"])
    account = _account(session, reservation and reservation.get("requester_id"))
    if account is None:
        return 0
    site = _site(session, reservation["site_id"])
    context = _reservation_context(ctx, reservation, site)
    kind = {"booking.reservation.confirmed": "rooms.approved", "booking.reservation.declined": "rooms.declined",
            "booking.reservation.cancelled": "rooms.cancelled"}[decision.type]
    key = f"{kind}:{decision.id}"
    attachments = []
    if kind == "rooms.approved":
        attachments.append(Attachment("reservation.ics", "text/calendar; method=PUBLISH",
                                      reservation_calendar(reservation, site)))
    if kind == "rooms.cancelled" and reservation.get("series_id"):
        # A series cancelled at once is one message, not one per occurrence.
        key = f"{kind}:series:{reservation['series_id']}:{reservation['updated_at'][:16]}"
        context["series"] = True
    return int(notify(session, ctx.notifier, Recipient.of(account), kind, f"{key}:{account.id}", context,
                      ctx.now, attachments, account=account) is not None)


@decides("booking.reservation.requested")
def reservation_requested(session: Session, ctx: Context, decision: Decision) -> int:
    """Kept for the veilleurs' next grouped message rather than one mail per request."""
    data = decision.data
    session.add(DigestItem(id=decision.id, digest="rooms.requested", group_key=data["site_id"],
                           data={"reservation_id": data["reservation_id"]}, created_at=ctx.now))
    return 0


def send_request_digests(session: Session, ctx: Context, wait: timedelta = DIGEST_WAIT) -> int:
    """One message per veilleur listing the reservations still waiting at a site, once the first of them
    has waited `wait` (so that a burst of requests makes one message)."""
    items = list(session.scalars(select(DigestItem).where(DigestItem.digest == "rooms.requested")
                                 .order_by(DigestItem.group_key, DigestItem.created_at).with_for_update()))
    by_site: dict[str, list[DigestItem]] = defaultdict(list)
    for item in items:
        by_site[item.group_key].append(item)
    by_site = {site: found for site, found in by_site.items() if found[0].created_at <= ctx.now - wait}
    queued = 0
    veilleurs = _veilleurs(session) if by_site else []
    for site_id, site_items in by_site.items():
        waiting = []
        for item in site_items:
            reservation = ctx.sources.reservation(item.data["reservation_id"])
            if reservation is not None and reservation["status"] == "requested":
                waiting.append(reservation)
        site = _site(session, site_id)
        if waiting:
            context = {"reservations": waiting, "site": site, "tz": site["timezone"],
                       "approvals_url": ctx.notifier.url("/veilleur")}
            for account in veilleurs:
                queued += notify(session, ctx.notifier, Recipient.of(account), "rooms.requested",
                                 f"rooms.requested:{site_items[0].id}:{account.id}", context, ctx.now,
                                 account=account) is not None
        for item in site_items:
            session.delete(item)
    return queued


# -- AMAP relay ------------------------------------------------------------------------------------------
def _holders(baskets: list[dict], statuses: tuple[str, ...]) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = defaultdict(list)
    for basket in baskets:
        if basket["account_id"] and basket["status"] in statuses:
            found[basket["account_id"]].append(basket)
    return found


def _tell_holders(session: Session, ctx: Context, decision: Decision, kind: str, statuses: tuple[str, ...],
                  extra: dict | None = None) -> int:
    found = ctx.sources.distribution(decision.data["distribution_id"])
    if found is None:
        return 0
    distribution = found["distribution"]
    site = _site(session, distribution["site_id"])
    holders = _holders(found["baskets"], statuses)
    accounts = {a.id: a for a in session.scalars(select(Account).where(Account.id.in_(list(holders))))} \
        if holders else {}
    known = audience(session, list(accounts))
    queued = 0
    for account_id, baskets in holders.items():
        account = accounts.get(account_id)
        if account is None:
            continue
        context = {"distribution": distribution, "baskets": baskets, "site": site, "tz": site["timezone"],
                   "baskets_url": ctx.notifier.url("/baskets"), **(extra or {})}
        queued += notify(session, ctx.notifier, Recipient.of(account), kind, f"{kind}:{decision.id}:{account_id}",
                         context, ctx.now, account=account, known=known) is not None
    return queued


@decides("amap.reminder")
def amap_reminder(session: Session, ctx: Context, decision: Decision) -> int:
    """The day before: window, place, pickup code, and where to declare an absence."""
    return _tell_holders(session, ctx, decision, "amap.reminder", ("expected",))


@decides("relay.distribution.moved")
def amap_moved(session: Session, ctx: Context, decision: Decision) -> int:
    return _tell_holders(session, ctx, decision, "amap.moved", ("expected", "offered", "absent"),
                         {"previous": decision.data})


@decides("relay.distribution.cancelled")
def amap_cancelled(session: Session, ctx: Context, decision: Decision) -> int:
    return _tell_holders(session, ctx, decision, "amap.cancelled", ("cancelled",))


@decides("relay.basket.absence_declared")
def amap_absence(session: Session, ctx: Context, decision: Decision) -> int:
    data = decision.data
    account = _account(session, data["account_id"])
    if account is None:
        return 0
    site = _site(session, data["site_id"])
    context = {"absence": data, "site": site, "tz": site["timezone"], "baskets_url": ctx.notifier.url("/baskets")}
    return int(notify(session, ctx.notifier, Recipient.of(account), "amap.absence",
                      f"amap.absence:{decision.id}:{account.id}", context, ctx.now, account=account) is not None)


@decides("relay.distribution.unstaffed")
def amap_unstaffed(session: Session, ctx: Context, decision: Decision) -> int:
    data = decision.data
    volunteer_ids = set(ctx.sources.site_volunteers(data["site_id"]))
    accounts = {a.id: a for a in _veilleurs(session)}
    if volunteer_ids:
        accounts.update({a.id: a for a in session.scalars(select(Account).where(Account.id.in_(volunteer_ids)))})
    site = _site(session, data["site_id"])
    context = {"distribution": data, "site": site, "tz": site["timezone"],
               "roster_url": ctx.notifier.url("/baskets")}
    queued = 0
    for account in accounts.values():
        queued += notify(session, ctx.notifier, Recipient.of(account), "amap.unstaffed",
                         f"amap.unstaffed:{decision.id}:{account.id}", context, ctx.now,
                         account=account) is not None
    return queued


# -- grocery ---------------------------------------------------------------------------------------------
@decides("grocery.access_ending")
def grocery_access_ending(session: Session, ctx: Context, decision: Decision) -> int:
    data = decision.data
    account = _account(session, data["referrer_account_id"])
    if account is None:
        return 0
    site = _site(session, data["site_id"])
    context = {"household": data, "site": site, "renew_url": ctx.notifier.url("/veilleur")}
    return int(notify(session, ctx.notifier, Recipient.of(account), "grocery.access_ending",
                      f"grocery.access_ending:{decision.id}", context, ctx.now, account=account) is not None)


# -- the loop ---------------------------------------------------------------------------------------------
def retry_delay(attempts: int) -> timedelta:
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LAST_RETRY)


def _pending_ids(db: Database, now: datetime, limit: int) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(Decision.id).where(
            Decision.decided_at.is_(None), Decision.next_attempt_at <= now)
            .order_by(Decision.next_attempt_at, Decision.created_at).limit(limit)))


def decide_one(db: Database, ctx: Context, decision_id: str) -> str:
    """Decide one recorded event; 'decided', 'waiting' (a source is away) or 'skipped' (someone else has it)."""
    try:
        with db.transaction() as session:
            query = select(Decision).where(Decision.id == decision_id, Decision.decided_at.is_(None))
            if db.is_postgres:
                query = query.with_for_update(skip_locked=True)
            decision = session.scalars(query).first()
            if decision is None:
                return "skipped"
            decider = DECIDERS.get(decision.type)
            queued = decider(session, ctx, decision) if decider else 0
            decision.decided_at = ctx.now
            decision.outcome = f"{queued} queued" if decider else "no message for this type"
            decision.attempts += 1
        return "decided"
    except Exception as exc:  # noqa: BLE001 - counted, then set aside: one bad decision never blocks the rest
        reason = str(exc) if isinstance(exc, SourceUnavailable) else f"error: {type(exc).__name__}"
        if not isinstance(exc, SourceUnavailable):
            log.exception("deciding %s failed", decision_id)
        with db.transaction() as session:
            decision = session.get(Decision, decision_id)
            if decision is None or decision.decided_at is not None:
                return "skipped"
            decision.attempts += 1
            decision.outcome = reason[:200]
            if decision.attempts >= MAX_ATTEMPTS:
                decision.decided_at = ctx.now
                decision.outcome = f"gave up: {reason}"[:200]
                log.error("gave up deciding %s after %d attempts", decision.type, decision.attempts)
            else:
                decision.next_attempt_at = ctx.now + retry_delay(decision.attempts)
        return "waiting"


def decide_pending(db: Database, ctx: Context, limit: int = 500) -> dict:
    counts: dict[str, int] = defaultdict(int)
    for decision_id in _pending_ids(db, ctx.now, limit):
        counts[decide_one(db, ctx, decision_id)] += 1
    return dict(counts)
