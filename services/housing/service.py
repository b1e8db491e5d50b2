"""Use cases of the housing service; no Flask here.

Who sees what: contact details go to their owner, and to the other side of a match only while
both sides are interested. Hosts never see a newcomer's budget or account; events and logs carry
ids and non-personal fields only.
"""
from __future__ import annotations

import calendar
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Text, cast, delete, func, or_, select, text
from sqlalchemy.orm import Session

from services.housing import events, matching, roommates
from services.housing.models import (
    GroupMember,
    HousingRequest,
    Match,
    Message,
    Offer,
    OfferReport,
    RoommateGroup,
    RoommateVeto,
)
from services.housing.vocabulary import AREAS
from shared.bus import record_event
from shared.events import utcnow
from shared.identity import Identity
from shared.problems import Problem, conflict, get_or_not_found, invalid, not_found

CITY_ZONE = ZoneInfo("Europe/Paris")  # housing is city-wide: its dates are the city's
REQUEST_LIFETIME = timedelta(days=60)
EXPIRED_RETENTION = timedelta(days=30)
ANSWERS = ("interested", "declined", "withdrawn")
PROPOSAL_LOCK = 0x686F7573  # "hous": one roommate proposal run at a time


@dataclass(frozen=True)
class Viewer:
    """Who is asking: an account id and whether they review offers."""

    subject: str
    staff: bool = False

    @classmethod
    def of(cls, identity: Identity) -> "Viewer":
        return cls(identity.subject, identity.is_staff)


# -- views: what each person may see -------------------------------------------------------------
REQUEST_PUBLIC = ("id", "status", "arrival_date", "stay_months", "areas", "household_size", "kind_wanted",
                  "languages", "smoker", "has_pets", "hours", "accessibility_needs", "about")
REQUEST_OWN = REQUEST_PUBLIC + ("max_budget_cents", "currency", "max_roommates", "contact_email", "contact_phone",
                                "created_at", "updated_at", "expires_at")
OFFER_PUBLIC = ("id", "status", "kind", "rent_cents", "charges_cents", "total_cents", "deposit_cents", "currency",
                "available_from", "available_until", "area", "max_occupants", "furnished", "languages",
                "smoking_allowed", "pets_allowed", "hours", "accessibility", "house_rules", "published_at")
OFFER_REVIEW = OFFER_PUBLIC + ("rejection_reason", "reviewed_at", "created_at", "updated_at")
OFFER_OWN = OFFER_REVIEW + ("contact_email", "contact_phone")


def _pick(row, names) -> dict:
    return {name: getattr(row, name) for name in names}


def request_view(request: HousingRequest, viewer: Viewer | None = None) -> dict:
    own = viewer is not None and viewer.subject == request.owner_id
    return _pick(request, REQUEST_OWN if own else REQUEST_PUBLIC)


def offer_view(session: Session, offer: Offer, viewer: Viewer | None = None) -> dict:
    if viewer is not None and viewer.subject == offer.owner_id:
        view = _pick(offer, OFFER_OWN)
    elif viewer is not None and viewer.staff:
        view = _pick(offer, OFFER_REVIEW)
    else:
        view = _pick(offer, OFFER_PUBLIC)
    if "rejection_reason" in view:
        view["open_reports"] = session.scalar(select(func.count()).select_from(OfferReport).where(
            OfferReport.offer_id == offer.id, OfferReport.resolved_at.is_(None)))
    view["area_name"] = AREAS.get(offer.area, offer.area)
    return view


def contact_of(row) -> dict:
    return {"contact_email": row.contact_email, "contact_phone": row.contact_phone}


def _check_contact(row) -> None:
    if not row.contact_email and not row.contact_phone:
        raise invalid("contact_email", "give contact_email or contact_phone (or both)")


# -- dates ---------------------------------------------------------------------------------------
def city_today(now: datetime) -> date:
    return now.astimezone(CITY_ZONE).date()


def stay_end(arrival: date, months: int) -> date:
    """The day a stay of `months` from `arrival` ends (the 31st plus a month is the end of the next month)."""
    month_index = arrival.month - 1 + months
    year, month = arrival.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(arrival.day, calendar.monthrange(year, month)[1]))


def _within_reach(value: date, today: date, field_name: str) -> None:
    if not today - timedelta(days=365) <= value <= today + timedelta(days=730):
        raise invalid(field_name, "give a date between a year ago and two years ahead")


def _check_request_dates(request: HousingRequest, changed: set[str], now: datetime) -> None:
    today = city_today(now)
    if "arrival_date" in changed:
        _within_reach(request.arrival_date, today, "arrival_date")
    if changed & {"arrival_date", "stay_months"}:
        end = stay_end(request.arrival_date, request.stay_months)
        if end <= today:
            raise invalid("stay_months", f"this stay is over (it ended on {end.isoformat()}): a request is for "
                                         "a stay to come or under way")


def _check_offer_dates(offer: Offer, changed: set[str], now: datetime) -> None:
    today = city_today(now)
    if "available_from" in changed:
        _within_reach(offer.available_from, today, "available_from")
    if "available_until" in changed and offer.available_until is not None and offer.available_until < today:
        raise invalid("available_until", f"this availability ended on {offer.available_until.isoformat()}: "
                                         "give a date from today on, or none")


# -- requests ------------------------------------------------------------------------------------
def request_event_data(request: HousingRequest) -> dict:
    return {"request_id": request.id, "arrival_date": request.arrival_date.isoformat(),
            "stay_months": request.stay_months, "household_size": request.household_size,
            "areas": list(request.areas), "kind_wanted": request.kind_wanted,
            "looking_for_roommates": request.max_roommates > 0,
            "expires_at": request.expires_at.isoformat()}


def create_request(session: Session, owner_id: str, now: datetime | None = None, request_id: str | None = None,
                   **data) -> HousingRequest:
    now = now or utcnow()
    request = HousingRequest(id=request_id or str(uuid.uuid4()), owner_id=owner_id, status="active", created_at=now,
                             updated_at=now, expires_at=now + REQUEST_LIFETIME, **data)
    _check_request_dates(request, set(data), now)
    _check_contact(request)
    session.add(request)
    session.flush()
    record_event(session, events.SOURCE, events.REQUEST_PUBLISHED, request_event_data(request), subject=request.id)
    return request


def own_request(session: Session, viewer: Viewer, request_id: str) -> HousingRequest:
    request = session.get(HousingRequest, request_id)
    if request is None or request.owner_id != viewer.subject:
        raise not_found("Request", "You have no request with this id.")
    return request


def list_own_requests(session: Session, viewer: Viewer) -> list[HousingRequest]:
    return list(session.scalars(select(HousingRequest).where(HousingRequest.owner_id == viewer.subject)
                                .order_by(HousingRequest.created_at)))


def update_request(session: Session, viewer: Viewer, request_id: str, changes: dict,
                   now: datetime | None = None) -> HousingRequest:
    now = now or utcnow()
    request = own_request(session, viewer, request_id)
    for key, value in changes.items():
        setattr(request, key, value)
    _check_request_dates(request, set(changes), now)
    _check_contact(request)
    request.updated_at = now
    _leave_group_if_unfit(session, request)
    return request


def renew_request(session: Session, viewer: Viewer, request_id: str, now: datetime | None = None) -> HousingRequest:
    """Another 60 days from now; an expired request (not yet deleted) comes back."""
    now = now or utcnow()
    request = own_request(session, viewer, request_id)
    _check_request_dates(request, {"stay_months"}, now)
    request.status, request.expired_at = "active", None
    request.expires_at = now + REQUEST_LIFETIME
    request.updated_at = now
    record_event(session, events.SOURCE, events.REQUEST_PUBLISHED, request_event_data(request), subject=request.id)
    return request


def delete_request(session: Session, viewer: Viewer, request_id: str) -> None:
    remove_requests(session, [own_request(session, viewer, request_id).id])


def remove_requests(session: Session, request_ids: list[str]) -> None:
    """Delete requests with their matches, messages, group memberships and vetoes."""
    if not request_ids:
        return
    group_ids = list(session.scalars(select(GroupMember.group_id).where(GroupMember.request_id.in_(request_ids))))
    dissolve_groups(session, group_ids)
    session.execute(delete(Message).where(Message.match_id.in_(select(Match.id).where(
        Match.seeker_id.in_(request_ids)))))
    session.execute(delete(Match).where(Match.seeker_id.in_(request_ids)))
    session.execute(delete(RoommateVeto).where(or_(RoommateVeto.request_id.in_(request_ids),
                                                   RoommateVeto.other_request_id.in_(request_ids))))
    session.execute(delete(HousingRequest).where(HousingRequest.id.in_(request_ids)))
    session.expire_all()


def expire_requests(session: Session, now: datetime | None = None) -> int:
    """Requests not renewed within 60 days stop matching; each expiry is an event."""
    now = now or utcnow()
    due = list(session.scalars(select(HousingRequest).where(
        HousingRequest.status == "active", HousingRequest.expires_at <= now).with_for_update(skip_locked=True)))
    for request in due:
        request.status, request.expired_at, request.updated_at = "expired", now, now
        record_event(session, events.SOURCE, events.REQUEST_EXPIRED,
                     {"request_id": request.id, "expired_at": now.isoformat()}, subject=request.id)
        _leave_group_if_unfit(session, request)
    return len(due)


def purge_expired_requests(session: Session, now: datetime | None = None,
                           retention: timedelta = EXPIRED_RETENTION) -> int:
    """Expired requests are deleted after the retention period."""
    now = now or utcnow()
    ids = list(session.scalars(select(HousingRequest.id).where(
        HousingRequest.status == "expired", HousingRequest.expired_at <= now - retention)))
    remove_requests(session, ids)
    return len(ids)


def _active(request: HousingRequest, now: datetime | None = None) -> bool:
    return request.status == "active" and request.expires_at > (now or utcnow())


# -- offers --------------------------------------------------------------------------------------
def _check_offer_rules(offer: Offer) -> None:
    if offer.available_until is not None and offer.available_until <= offer.available_from:
        raise invalid("available_until", "must be after available_from")
    if offer.deposit_cents > 2 * offer.rent_cents:
        raise invalid("deposit_cents", "a deposit above two months of rent is not allowed")
    _check_contact(offer)


def create_offer(session: Session, owner_id: str, offer_id: str | None = None, now: datetime | None = None,
                 **data) -> Offer:
    now = now or utcnow()
    offer = Offer(id=offer_id or str(uuid.uuid4()), owner_id=owner_id, status="pending", created_at=now, updated_at=now,
                  total_cents=data["rent_cents"] + data.get("charges_cents", 0), **data)
    _check_offer_dates(offer, set(data), now)
    _check_offer_rules(offer)
    session.add(offer)
    session.flush()
    return offer


def get_offer(session: Session, offer_id: str) -> Offer:
    return get_or_not_found(session, Offer, offer_id, "Offer")


def visible_offer(session: Session, viewer: Viewer, offer_id: str) -> Offer:
    """Published offers for anyone signed in; the others for their owner and veilleurs."""
    offer = get_offer(session, offer_id)
    if offer.status != "published" and offer.owner_id != viewer.subject and not viewer.staff:
        raise not_found("Offer")
    return offer


def own_offer(session: Session, viewer: Viewer, offer_id: str) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None or offer.owner_id != viewer.subject:
        raise not_found("Offer", "You have no offer with this id.")
    return offer


def list_offers(session: Session, viewer: Viewer, status: str = "published") -> list[Offer]:
    if status != "published" and not viewer.staff:
        raise Problem(403, "Forbidden", "Only veilleurs review pending and rejected offers.", slug="forbidden")
    query = select(Offer).where(Offer.status == status)
    query = query.order_by(Offer.published_at.desc() if status == "published" else Offer.updated_at)
    return list(session.scalars(query.limit(500)))


def list_own_offers(session: Session, viewer: Viewer) -> list[Offer]:
    return list(session.scalars(select(Offer).where(Offer.owner_id == viewer.subject).order_by(Offer.created_at)))


def update_offer(session: Session, viewer: Viewer, offer_id: str, changes: dict,
                 now: datetime | None = None) -> Offer:
    """A change to a published offer sends it back to review (scams change offers after review)."""
    now = now or utcnow()
    offer = own_offer(session, viewer, offer_id)
    for key, value in changes.items():
        setattr(offer, key, value)
    offer.total_cents = offer.rent_cents + offer.charges_cents
    _check_offer_dates(offer, set(changes), now)
    _check_offer_rules(offer)
    offer.updated_at = now
    if offer.status in ("published", "rejected"):
        offer.status, offer.rejection_reason = "pending", None
    return offer


def delete_offer(session: Session, viewer: Viewer, offer_id: str) -> None:
    remove_offers(session, [own_offer(session, viewer, offer_id).id])


def remove_offers(session: Session, offer_ids: list[str]) -> None:
    if not offer_ids:
        return
    match_ids = select(Match.id).where(Match.offer_id.in_(offer_ids))
    session.execute(delete(Message).where(Message.match_id.in_(match_ids)))
    session.execute(delete(Match).where(Match.offer_id.in_(offer_ids)))
    session.execute(delete(OfferReport).where(OfferReport.offer_id.in_(offer_ids)))
    session.execute(delete(Offer).where(Offer.id.in_(offer_ids)))
    session.expire_all()


def offer_event_data(offer: Offer) -> dict:
    return {"offer_id": offer.id, "kind": offer.kind, "area": offer.area, "rent_cents": offer.rent_cents,
            "charges_cents": offer.charges_cents, "currency": offer.currency,
            "available_from": offer.available_from.isoformat(),
            "available_until": offer.available_until.isoformat() if offer.available_until else None,
            "max_occupants": offer.max_occupants, "furnished": offer.furnished}


def publish_offer(session: Session, reviewer: Viewer, offer_id: str) -> Offer:
    offer = get_offer(session, offer_id)
    if offer.status != "pending":
        raise conflict("Offer not pending", f"Only a pending offer can be published; this one is {offer.status}.")
    if offer.owner_id == reviewer.subject:
        raise Problem(403, "Forbidden", "Another veilleur must review your own offer.", slug="forbidden")
    now = utcnow()
    offer.status, offer.rejection_reason = "published", None
    offer.reviewed_by, offer.reviewed_at, offer.published_at, offer.updated_at = reviewer.subject, now, now, now
    session.execute(OfferReport.__table__.update().where(
        OfferReport.offer_id == offer.id, OfferReport.resolved_at.is_(None)).values(resolved_at=now))
    record_event(session, events.SOURCE, events.OFFER_PUBLISHED, offer_event_data(offer), subject=offer.id)
    return offer


def reject_offer(session: Session, reviewer: Viewer, offer_id: str, reason: str) -> Offer:
    offer = get_offer(session, offer_id)
    if offer.status == "rejected":
        raise conflict("Offer already rejected", "This offer is already rejected.")
    now = utcnow()
    offer.status, offer.rejection_reason = "rejected", reason
    offer.reviewed_by, offer.reviewed_at, offer.updated_at = reviewer.subject, now, now
    session.execute(OfferReport.__table__.update().where(
        OfferReport.offer_id == offer.id, OfferReport.resolved_at.is_(None)).values(resolved_at=now))
    return offer


def report_offer(session: Session, reporter: Viewer, offer_id: str, reason: str, comment: str = "") -> OfferReport:
    """Anyone signed in may report a published offer; it goes back to review."""
    offer = get_offer(session, offer_id)
    already = session.scalars(select(OfferReport).where(
        OfferReport.offer_id == offer.id, OfferReport.reporter_id == reporter.subject,
        OfferReport.resolved_at.is_(None))).first()
    if already is not None:
        raise conflict("Already reported", "You already reported this offer; a veilleur will review it.")
    offer = visible_offer(session, reporter, offer_id)
    if offer.owner_id == reporter.subject:
        raise invalid("offer_id", "you cannot report your own offer", status=422)
    report = OfferReport(id=str(uuid.uuid4()), offer_id=offer.id, reporter_id=reporter.subject, reason=reason,
                         comment=comment, created_at=utcnow())
    session.add(report)
    if offer.status == "published":
        offer.status, offer.updated_at = "pending", utcnow()
    session.flush()
    return report


def list_reports(session: Session, offer_id: str) -> list[OfferReport]:
    get_offer(session, offer_id)
    return list(session.scalars(select(OfferReport).where(OfferReport.offer_id == offer_id)
                                .order_by(OfferReport.created_at)))


# -- matching ------------------------------------------------------------------------------------
# JSON lists are read as text and decoded once per distinct value: most offers share a few
# language and accessibility lists, and decoding 20,000 JSON values was most of a ranking's time.
HOME_COLUMNS = (Offer.id, Offer.kind, Offer.total_cents, Offer.available_from, Offer.available_until, Offer.area,
                Offer.max_occupants, Offer.furnished, cast(Offer.languages, Text), Offer.smoking_allowed,
                Offer.pets_allowed, Offer.hours, cast(Offer.accessibility, Text))


def _homes_of_rows(rows) -> list[matching.Home]:
    decoded: dict[str | None, frozenset] = {}

    def codes(value):
        found = decoded.get(value)
        if found is None:
            found = decoded[value] = frozenset(json.loads(value) if value else ())
        return found

    return [matching.Home(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], codes(row[8]),
                          row[9], row[10], row[11], codes(row[12])) for row in rows]


def candidate_homes(session: Session, seeker: matching.Seeker, exclude_owners=()) -> list[matching.Home]:
    """Published offers through the hard filters SQL can apply; `matching.passes` does the rest."""
    query = select(*HOME_COLUMNS).where(
        Offer.status == "published",
        Offer.total_cents <= seeker.max_budget_cents,
        Offer.max_occupants >= seeker.household_size,
        Offer.available_from <= seeker.arrival_date + timedelta(days=matching.MAX_WAIT_DAYS),
        or_(Offer.available_until.is_(None),
            Offer.available_until >= seeker.arrival_date + timedelta(days=matching.MIN_OVERLAP_DAYS)))
    if seeker.kind_wanted != "any":
        query = query.where(Offer.kind == seeker.kind_wanted)
    if exclude_owners:
        query = query.where(Offer.owner_id.not_in(list(exclude_owners)))
    return _homes_of_rows(session.execute(query))


def _matches_by_offer(session: Session, seeker_id: str) -> dict[str, Match]:
    return {m.offer_id: m for m in session.scalars(select(Match).where(Match.seeker_id == seeker_id))}


def _message_counts(session: Session, match_ids: list[str]) -> dict[str, int]:
    if not match_ids:
        return {}
    rows = session.execute(select(Message.match_id, func.count()).where(Message.match_id.in_(match_ids))
                           .group_by(Message.match_id))
    return dict(rows.all())


def _consent(match: Match | None, side: str, member_request_id: str | None = None) -> dict:
    if match is None:
        return {"mine": None, "theirs": None, "mutual": False}
    if side == "host":
        return {"mine": match.host_answer, "theirs": match.seeker_answer, "mutual": match.mutual}
    mine = match.member_answers.get(member_request_id) if match.seeker_kind == "group" else match.seeker_answer
    return {"mine": mine, "theirs": match.host_answer, "mutual": match.mutual}


def matches_for_request(session: Session, viewer: Viewer, request_id: str, limit: int = 50,
                        include_declined: bool = False) -> list[dict]:
    """Published offers ranked for one of my requests, with reasons and the consent state."""
    request = own_request(session, viewer, request_id)
    if not _active(request):
        raise conflict("Request expired", "Renew this request to see matches again.")
    seeker = matching.seeker_of_request(request)
    return _ranked_offers_view(session, seeker, [request.owner_id], limit, include_declined, request.id)


def _ranked_offers_view(session, seeker, owners, limit, include_declined, member_request_id) -> list[dict]:
    answers = _matches_by_offer(session, seeker.id)
    declined = set() if include_declined else {
        offer_id for offer_id, m in answers.items()
        if _consent(m, "seeker", member_request_id)["mine"] == "declined" or m.host_answer == "declined"}
    homes = candidate_homes(session, seeker, exclude_owners=owners)
    if declined:
        homes = [home for home in homes if home.id not in declined]
    ranked = matching.rank(seeker, homes, limit)
    offers = {o.id: o for o in session.scalars(select(Offer).where(Offer.id.in_([r.offer_id for r in ranked])))}
    counts = _message_counts(session, [m.id for m in answers.values()])
    views = []
    for item in ranked:
        match = answers.get(item.offer_id)
        offer = offers[item.offer_id]
        views.append({
            "seeker_id": seeker.id, "seeker_kind": seeker.kind, "offer_id": item.offer_id, "score": item.score,
            "reasons": item.reasons, "side": "seeker", "consent": _consent(match, "seeker", member_request_id),
            "offer": offer_view(session, offer), "messages": counts.get(match.id, 0) if match else 0,
            "contact": [contact_of(offer)] if match is not None and match.mutual else None})
    return views


def _active_request_rows(session: Session, home: matching.Home, owner_id: str) -> list[HousingRequest]:
    query = select(HousingRequest).where(
        HousingRequest.status == "active", HousingRequest.expires_at > utcnow(),
        HousingRequest.owner_id != owner_id,
        HousingRequest.max_budget_cents >= home.total_cents,
        HousingRequest.household_size <= home.max_occupants,
        HousingRequest.arrival_date >= home.available_from - timedelta(days=matching.MAX_WAIT_DAYS),
        HousingRequest.kind_wanted.in_(["any", home.kind]))
    if home.available_until is not None:
        query = query.where(HousingRequest.arrival_date <= home.available_until
                            - timedelta(days=matching.MIN_OVERLAP_DAYS))
    return list(session.scalars(query))


def _formed_groups(session: Session, group_ids=None) -> dict[str, list[HousingRequest]]:
    query = (select(GroupMember.group_id, HousingRequest).join(HousingRequest, HousingRequest.id ==
                                                                GroupMember.request_id)
             .join(RoommateGroup, RoommateGroup.id == GroupMember.group_id)
             .where(RoommateGroup.status == "formed"))
    if group_ids is not None:
        query = query.where(GroupMember.group_id.in_(group_ids))
    groups: dict[str, list[HousingRequest]] = {}
    for group_id, request in session.execute(query):
        groups.setdefault(group_id, []).append(request)
    return groups


def matches_for_offer(session: Session, viewer: Viewer, offer_id: str, limit: int = 50,
                      include_declined: bool = False) -> list[dict]:
    """Requests (and formed groups, for a whole flat) ranked for one of my offers."""
    offer = own_offer(session, viewer, offer_id)
    if offer.status != "published":
        raise conflict("Offer not published", "Matches appear once a veilleur has published the offer.")
    home = matching.home_of_offer(offer)
    requests = {r.id: r for r in _active_request_rows(session, home, offer.owner_id)}
    seekers = [matching.seeker_of_request(r) for r in requests.values()]
    groups = _formed_groups(session) if offer.kind == "whole_flat" else {}
    groups = {gid: members for gid, members in groups.items()
              if all(_active(m) and m.owner_id != offer.owner_id for m in members)}
    seekers += [matching.seeker_of_group(gid, members) for gid, members in groups.items()]
    answers = {m.seeker_id: m for m in session.scalars(select(Match).where(Match.offer_id == offer.id))}
    if not include_declined:
        seekers = [s for s in seekers if not (s.id in answers and "declined" in (
            answers[s.id].host_answer, answers[s.id].seeker_answer))]
    ranked = matching.rank_seekers(home, seekers, limit)
    counts = _message_counts(session, [m.id for m in answers.values()])
    views = []
    for item in ranked:
        match = answers.get(item.seeker_id)
        mutual = match is not None and match.mutual
        if item.seeker_id in groups:
            members = groups[item.seeker_id]
            view = {"seeker_kind": "group", "request": None, "members": [request_view(m) for m in members],
                    "contact": [contact_of(m) for m in members] if mutual else None}
        else:
            request = requests[item.seeker_id]
            view = {"seeker_kind": "request", "request": request_view(request), "members": None,
                    "contact": [contact_of(request)] if mutual else None}
        views.append({**view, "seeker_id": item.seeker_id, "offer_id": offer.id, "score": item.score,
                      "reasons": item.reasons, "side": "host", "consent": _consent(match, "host"),
                      "messages": counts.get(match.id, 0) if match else 0})
    return views


@dataclass
class Pair:
    """A seeker and an offer, from the point of view of one side of it."""

    side: str                      # seeker | host
    seeker_kind: str
    seeker_id: str
    offer: Offer
    requests: list[HousingRequest]  # the request, or the members' requests of a group
    member_request_id: str | None  # the caller's request when on the seeker side
    match: Match | None

    @property
    def seeker(self) -> matching.Seeker:
        if self.seeker_kind == "group":
            return matching.seeker_of_group(self.seeker_id, self.requests)
        return matching.seeker_of_request(self.requests[0])

    def failures(self) -> list[dict]:
        if self.offer.status != "published":
            return [{"code": "offer_not_published", "text": "The offer is not published."}]
        if not all(_active(r) for r in self.requests):
            return [{"code": "request_expired", "text": "The request has expired."}]
        if self.offer.owner_id in {r.owner_id for r in self.requests}:
            return [{"code": "own_offer", "text": "This is your own offer."}]
        return matching.hard_filter_failures(self.seeker, matching.home_of_offer(self.offer),
                                             for_host=self.side == "host")


def _pair(session: Session, viewer: Viewer, seeker_id: str, offer_id: str, lock: bool = False) -> Pair:
    """The pair as the caller sees it; 404 when the caller is on neither side.

    `lock` takes the offer's row lock, so that two answers to the same offer (both sides saying
    yes at once) are applied one after the other and the acceptance is seen exactly once.
    """
    no_match = Problem(404, "No match with you", "You are on neither side of this match: you can only see, "
                       "answer or write to a match of your own request or offer.", slug="no-match")
    offer = session.get(Offer, offer_id, with_for_update=lock or None)
    if offer is None:
        raise no_match
    request = session.get(HousingRequest, seeker_id)
    if request is not None:
        seeker_kind, requests = "request", [request]
    else:
        group = session.get(RoommateGroup, seeker_id)
        if group is None or group.status != "formed":
            raise no_match
        seeker_kind = "group"
        requests = [session.get(HousingRequest, m.request_id) for m in group.members]
    match = session.scalars(select(Match).where(Match.seeker_id == seeker_id, Match.offer_id == offer_id)).first()
    mine = [r for r in requests if r.owner_id == viewer.subject]
    if mine:
        return Pair("seeker", seeker_kind, seeker_id, offer, requests, mine[0].id, match)
    if offer.owner_id == viewer.subject and (offer.status == "published" or match is not None):
        return Pair("host", seeker_kind, seeker_id, offer, requests, None, match)
    raise no_match


def match_view(session: Session, pair: Pair) -> dict:
    failures = pair.failures()
    reasons: list = []
    score = 0
    if not failures:
        score = matching.evaluate(pair.seeker, matching.home_of_offer(pair.offer), reasons,
                                  for_host=pair.side == "host")
    mutual = pair.match is not None and pair.match.mutual
    view = {"seeker_id": pair.seeker_id, "seeker_kind": pair.seeker_kind, "offer_id": pair.offer.id,
            "score": score, "reasons": failures or reasons, "side": pair.side,
            "consent": _consent(pair.match, pair.side, pair.member_request_id),
            "messages": _message_counts(session, [pair.match.id]).get(pair.match.id, 0) if pair.match else 0}
    if pair.side == "seeker":
        view["offer"] = offer_view(session, pair.offer)
        view["contact"] = [contact_of(pair.offer)] if mutual else None
    else:
        publics = [request_view(r) for r in pair.requests]
        view["request"] = publics[0] if pair.seeker_kind == "request" else None
        view["members"] = publics if pair.seeker_kind == "group" else None
        view["contact"] = [contact_of(r) for r in pair.requests] if mutual else None
    return view


def get_match(session: Session, viewer: Viewer, seeker_id: str, offer_id: str) -> dict:
    return match_view(session, _pair(session, viewer, seeker_id, offer_id))


def _ensure_match(session: Session, pair: Pair) -> Match:
    if pair.match is None:
        now = utcnow()
        pair.match = Match(id=str(uuid.uuid4()), seeker_kind=pair.seeker_kind, seeker_id=pair.seeker_id,
                           offer_id=pair.offer.id, member_answers={}, created_at=now, updated_at=now)
        session.add(pair.match)
        session.flush()
    return pair.match


def _require_current(pair: Pair) -> None:
    failures = pair.failures()
    if failures:
        raise Problem(409, "Not a match", "This offer and this request do not match (any more): "
                      + " ".join(f["text"] for f in failures), slug="not-a-match", reasons=failures)


def answer_match(session: Session, viewer: Viewer, seeker_id: str, offer_id: str, answer: str) -> dict:
    """Say interested, decline or withdraw; contact details are shared once both sides are interested."""
    if answer not in ANSWERS:
        raise invalid("answer", f"one of {', '.join(ANSWERS)}")
    pair = _pair(session, viewer, seeker_id, offer_id, lock=True)
    if answer == "interested":
        _require_current(pair)
    elif pair.match is None or _consent(pair.match, pair.side, pair.member_request_id)["mine"] != "interested":
        if answer == "withdrawn":
            raise conflict("Nothing to withdraw", "You can withdraw only after saying you are interested.")
    match = _ensure_match(session, pair)
    now = utcnow()
    if pair.side == "host":
        match.host_answer = answer
    elif pair.seeker_kind == "group":
        match.member_answers = {**match.member_answers, pair.member_request_id: answer}
        given = [match.member_answers.get(r.id) for r in pair.requests]
        if "declined" in given:
            match.seeker_answer = "declined"
        elif all(a == "interested" for a in given):
            match.seeker_answer = "interested"
        else:
            match.seeker_answer = "withdrawn" if "withdrawn" in given else None
    else:
        match.seeker_answer = answer
    match.updated_at = now
    if match.mutual and match.accepted_at is None:
        match.accepted_at = now
        data = {"match_id": match.id, "seeker_kind": match.seeker_kind, "offer_id": match.offer_id,
                "accepted_at": now.isoformat()}
        data["request_id" if match.seeker_kind == "request" else "group_id"] = match.seeker_id
        record_event(session, events.SOURCE, events.MATCH_ACCEPTED, data, subject=match.id)
    session.flush()
    return match_view(session, pair)


def match_contact(session: Session, viewer: Viewer, seeker_id: str, offer_id: str) -> list[dict]:
    pair = _pair(session, viewer, seeker_id, offer_id)
    if pair.match is None or not pair.match.mutual:
        raise Problem(403, "No consent yet", "Contact details are shared only once both sides said they are "
                      "interested; write through the platform until then.", slug="no-consent")
    return match_view(session, pair)["contact"]


def send_message(session: Session, viewer: Viewer, seeker_id: str, offer_id: str, body: str) -> Message:
    pair = _pair(session, viewer, seeker_id, offer_id, lock=True)
    if pair.match is not None and "declined" in (pair.match.seeker_answer, pair.match.host_answer):
        raise conflict("Match declined", "One side declined this match: messages are closed.")
    if pair.offer.status != "published":
        raise conflict("Offer under review", "This offer is being reviewed again (it was reported or changed): "
                       "messages wait until a veilleur publishes it.")
    if pair.match is None:
        _require_current(pair)
    match = _ensure_match(session, pair)
    message = Message(id=str(uuid.uuid4()), match_id=match.id, sender_id=viewer.subject, sender_side=pair.side,
                      body=body, sent_at=utcnow())
    session.add(message)
    session.flush()
    return message


def list_messages(session: Session, viewer: Viewer, seeker_id: str, offer_id: str) -> list[dict]:
    pair = _pair(session, viewer, seeker_id, offer_id)
    if pair.match is None:
        return []
    rows = session.scalars(select(Message).where(Message.match_id == pair.match.id).order_by(Message.sent_at))
    return [{"id": m.id, "sender_side": m.sender_side, "mine": m.sender_id == viewer.subject, "body": m.body,
             "sent_at": m.sent_at} for m in rows]


# -- roommate groups -----------------------------------------------------------------------------
def _free_roommate_seekers(session: Session) -> list[HousingRequest]:
    in_group = select(GroupMember.request_id)
    return list(session.scalars(select(HousingRequest).where(
        HousingRequest.status == "active", HousingRequest.expires_at > utcnow(),
        HousingRequest.max_roommates >= 1, HousingRequest.id.not_in(in_group))))


def propose_groups(session: Session) -> dict:
    """Propose groups among the requests looking for roommates and in no group yet.

    One run at a time (the worker's round and a veilleur's request may meet): a transaction-level
    advisory lock on PostgreSQL; SQLite serializes writers already.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PROPOSAL_LOCK})
    free = _free_roommate_seekers(session)
    vetoes = {tuple(row) for row in session.execute(select(RoommateVeto.request_id, RoommateVeto.other_request_id))}
    proposals = roommates.propose(free, vetoes)
    now = utcnow()
    for proposal in proposals:
        group = RoommateGroup(id=str(uuid.uuid4()), status="proposed", score=proposal.score,
                              reasons=proposal.reasons, created_at=now)
        group.members = [GroupMember(request_id=rid) for rid in proposal.request_ids]
        session.add(group)
    session.flush()
    return {"proposed": len(proposals), "considered": len(free)}


def group_view(session: Session, group: RoommateGroup, viewer: Viewer) -> dict:
    members = []
    for member in group.members:
        request = session.get(HousingRequest, member.request_id)
        members.append({"request": request_view(request), "agreed": member.agreed_at is not None,
                        "mine": request.owner_id == viewer.subject})
    return {"id": group.id, "status": group.status, "score": group.score, "reasons": group.reasons,
            "members": members, "created_at": group.created_at, "formed_at": group.formed_at}


def _my_group(session: Session, viewer: Viewer, group_id: str, lock: bool = False) -> tuple[RoommateGroup, list[str]]:
    group = session.get(RoommateGroup, group_id, with_for_update=lock or None)
    mine = []
    if group is not None:
        owners = dict(session.execute(select(HousingRequest.id, HousingRequest.owner_id).where(
            HousingRequest.id.in_([m.request_id for m in group.members]))).all())
        mine = [m.request_id for m in group.members if owners.get(m.request_id) == viewer.subject]
    if group is None or not mine:
        raise not_found("Group", "You are in no group with this id.")
    return group, mine


def get_group(session: Session, viewer: Viewer, group_id: str) -> dict:
    group, _mine = _my_group(session, viewer, group_id)
    return group_view(session, group, viewer)


def group_of_request(session: Session, viewer: Viewer, request_id: str) -> dict:
    request = own_request(session, viewer, request_id)
    member = session.scalars(select(GroupMember).where(GroupMember.request_id == request.id)).first()
    if member is None:
        raise not_found("Group", "No group is proposed for this request yet.")
    return group_view(session, member.group, viewer)


def agree_to_group(session: Session, viewer: Viewer, group_id: str) -> dict:
    """The group forms once every member agreed (the group's row lock makes the last agreement count once)."""
    group, mine = _my_group(session, viewer, group_id, lock=True)
    if group.status == "formed":
        raise conflict("Group already formed", "Every member already agreed.")
    now = utcnow()
    for member in group.members:
        if member.request_id in mine and member.agreed_at is None:
            member.agreed_at = now
    if all(m.agreed_at is not None for m in group.members):
        requests = [session.get(HousingRequest, m.request_id) for m in group.members]
        group.status, group.formed_at = "formed", now
        record_event(session, events.SOURCE, events.GROUP_FORMED, {
            "group_id": group.id, "request_ids": [m.request_id for m in group.members],
            "members": len(group.members), "household_size": sum(r.household_size for r in requests),
            "formed_at": now.isoformat()}, subject=group.id)
    session.flush()
    return group_view(session, group, viewer)


def leave_group(session: Session, viewer: Viewer, group_id: str) -> None:
    """Decline a proposal or leave a formed group: it dissolves, and is not proposed again."""
    group, mine = _my_group(session, viewer, group_id, lock=True)
    others = [m.request_id for m in group.members if m.request_id not in mine]
    for request_id in mine:
        for other in others:
            if session.get(RoommateVeto, (request_id, other)) is None:
                session.add(RoommateVeto(request_id=request_id, other_request_id=other))
    dissolve_groups(session, [group.id])


def dissolve_groups(session: Session, group_ids: list[str]) -> None:
    if not group_ids:
        return
    match_ids = select(Match.id).where(Match.seeker_id.in_(group_ids))
    session.execute(delete(Message).where(Message.match_id.in_(match_ids)))
    session.execute(delete(Match).where(Match.seeker_id.in_(group_ids)))
    session.execute(delete(GroupMember).where(GroupMember.group_id.in_(group_ids)))
    session.execute(delete(RoommateGroup).where(RoommateGroup.id.in_(group_ids)))
    session.expire_all()


def _leave_group_if_unfit(session: Session, request: HousingRequest) -> None:
    """A member that expires or stops looking for roommates dissolves its group."""
    if request.status != "active" or request.max_roommates < 1:
        group_ids = list(session.scalars(select(GroupMember.group_id).where(GroupMember.request_id == request.id)))
        dissolve_groups(session, group_ids)


def matches_for_group(session: Session, viewer: Viewer, group_id: str, limit: int = 50,
                      include_declined: bool = False) -> list[dict]:
    """Whole flats ranked for a formed group renting as one household."""
    group, mine = _my_group(session, viewer, group_id)
    if group.status != "formed":
        raise conflict("Group not formed", "A group matches flats once every member agreed.")
    members = _formed_groups(session, [group.id])[group.id]
    if not all(_active(m) for m in members):
        raise conflict("Request expired", "A member's request expired; renew it to see matches again.")
    seeker = matching.seeker_of_group(group.id, members)
    return _ranked_offers_view(session, seeker, [m.owner_id for m in members], limit, include_declined, mine[0])


# -- erasure -------------------------------------------------------------------------------------
def erase_person(session: Session, account_id: str) -> None:
    """Forget a person: their requests, offers, messages, reports and group memberships."""
    remove_requests(session, list(session.scalars(select(HousingRequest.id).where(
        HousingRequest.owner_id == account_id))))
    remove_offers(session, list(session.scalars(select(Offer.id).where(Offer.owner_id == account_id))))
    session.execute(delete(Message).where(Message.sender_id == account_id))
    session.execute(delete(OfferReport).where(OfferReport.reporter_id == account_id))
