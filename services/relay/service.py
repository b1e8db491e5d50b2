"""Use cases of the relay service, from the farmer's drop-off to the neighbour's basket; no Flask here."""
from __future__ import annotations

import secrets
import uuid
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from services.relay import events
from services.relay.models import (
    Basket,
    BasketKind,
    Contract,
    Delivery,
    Distribution,
    Producer,
    RosterEntry,
    Site,
    Subscription,
)
from shared.bus import record_event
from shared.events import utcnow
from shared.problems import Problem, conflict, get_or_not_found, invalid, not_found

WEEKDAYS = events.WEEKDAYS
# No 0/O, 1/I/L: a code read aloud or copied from a phone is not misread.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
MAX_DISTRIBUTIONS = 60
UNSTAFFED_NOTICE = timedelta(hours=48)
ROLES = ("opener", "distributor")
BASKET_CATEGORIES = events.BASKET_CATEGORIES   # codes of what a basket holds, as events carry them
OPEN = ("expected", "offered")          # baskets someone may still collect


def new_id() -> str:
    return str(uuid.uuid4())


def find_site(session: Session, site_ref: str) -> Site | None:
    return session.scalars(select(Site).where(or_(Site.id == site_ref, Site.slug == site_ref))).first()


def list_sites(session: Session) -> list[Site]:
    return list(session.scalars(select(Site).order_by(Site.name)))


def local_window(site: Site, day: date, opens: str, closes: str) -> tuple[datetime, datetime]:
    """The pickup window of `day` in the site's timezone, as aware datetimes."""
    zone = ZoneInfo(site.timezone or "Europe/Paris")
    start = datetime.combine(day, time.fromisoformat(opens), tzinfo=zone)
    end = datetime.combine(day, time.fromisoformat(closes), tzinfo=zone)
    return start, end


def local_time(moment: datetime, site: Site) -> datetime:
    return moment.astimezone(ZoneInfo(site.timezone or "Europe/Paris"))


def new_code(taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if code not in taken:
            taken.add(code)
            return code


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


# -- producers -------------------------------------------------------------------------------
def create_producer(session: Session, name: str, contact: str = "", produce: str = "") -> Producer:
    now = utcnow()
    producer = Producer(id=new_id(), name=name, contact=contact, produce=produce, created_at=now, updated_at=now)
    session.add(producer)
    session.flush()
    return producer


def list_producers(session: Session) -> list[Producer]:
    return list(session.scalars(select(Producer).order_by(Producer.name)))


def get_producer(session: Session, producer_id: str) -> Producer:
    return get_or_not_found(session, Producer, producer_id, "Producer")


def update_producer(session: Session, producer_id: str, changes: dict) -> Producer:
    producer = get_producer(session, producer_id)
    for key, value in changes.items():
        setattr(producer, key, value)
    producer.updated_at = utcnow()
    return producer


# -- contracts and their distributions -------------------------------------------------------
def season_dates(season_start: date, season_end: date, weekday: str) -> list[date]:
    first = season_start + timedelta(days=(WEEKDAYS.index(weekday) - season_start.weekday()) % 7)
    days, day = [], first
    while day <= season_end:
        days.append(day)
        day += timedelta(days=7)
    return days


def distribution_event_data(distribution: Distribution) -> dict:
    return {
        "distribution_id": distribution.id, "contract_id": distribution.contract_id,
        "site_id": distribution.site_id, "producer_id": distribution.contract.producer_id,
        "sequence": distribution.sequence, "date": distribution.date.isoformat(),
        "starts_at": distribution.starts_at.astimezone(timezone.utc).isoformat(),
        "ends_at": distribution.ends_at.astimezone(timezone.utc).isoformat(),
    }


def create_contract(session: Session, producer_id: str, site: str, name: str, weekday: str,
                    window_opens: str, window_closes: str, season_start: date, season_end: date,
                    basket_kinds: list[dict], max_shares: int | None = None, absence_allowance: int = 0,
                    absence_cutoff_hours: int = 48, absent_baskets: str = "not_prepared",
                    openers_needed: int = 1, distributors_needed: int = 1, currency: str = "EUR",
                    skip_dates: list[date] | tuple = (), now: datetime | None = None) -> Contract:
    now = now or utcnow()
    producer = session.get(Producer, producer_id)
    if producer is None:
        raise invalid("producer_id", "no producer has this id", title="Unknown producer")
    found = find_site(session, site)
    if found is None:
        raise invalid("site", f"no site {site!r} is known here", title="Unknown site")
    if window_closes <= window_opens:
        raise invalid("window_closes", "the pickup window must close after it opens")
    if season_end < season_start:
        raise invalid("season_end", "the season must end on or after its start")
    days = season_dates(season_start, season_end, weekday)
    if not days:
        raise invalid("weekday", "no such weekday falls within the season")
    stray = sorted(set(skip_dates) - set(days))
    if stray:
        raise invalid("skip_dates", f"{', '.join(d.isoformat() for d in stray)}: not a distribution day "
                      "of this season", title="Not a distribution day")
    days = [day for day in days if day not in set(skip_dates)]
    if not days:
        raise invalid("skip_dates", "every distribution of the season is skipped", title="Every day skipped")
    if len(days) > MAX_DISTRIBUTIONS:
        raise invalid("season_end", f"a season has at most {MAX_DISTRIBUTIONS} distributions")
    names = [kind["name"] for kind in basket_kinds]
    if len(set(names)) != len(names):
        raise invalid("basket_kinds", "two basket kinds have the same name")
    contract = Contract(
        id=new_id(), producer_id=producer.id, site_id=found.id, name=name, weekday=weekday,
        window_opens=window_opens, window_closes=window_closes, season_start=season_start,
        season_end=season_end, max_shares=max_shares, absence_allowance=absence_allowance,
        absence_cutoff_hours=absence_cutoff_hours, absent_baskets=absent_baskets,
        openers_needed=openers_needed, distributors_needed=distributors_needed, currency=currency,
        created_at=now,
    )
    session.add(contract)
    for position, kind in enumerate(basket_kinds):
        session.add(BasketKind(id=new_id(), contract_id=contract.id, position=position, name=kind["name"],
                               description=kind.get("description", ""),
                               category=kind.get("category", "vegetables"), price_cents=kind["price_cents"],
                               solidarity_price_cents=kind.get("solidarity_price_cents")))
    session.flush()
    distributions = []
    for sequence, day in enumerate(days):
        starts_at, ends_at = local_window(found, day, window_opens, window_closes)
        distribution = Distribution(id=new_id(), contract_id=contract.id, site_id=found.id, sequence=sequence,
                                    date=day, starts_at=starts_at, ends_at=ends_at, status="scheduled")
        session.add(distribution)
        distributions.append(distribution)
    session.flush()
    session.refresh(contract)
    record_event(session, events.SOURCE, events.CONTRACT_CREATED, {
        "contract_id": contract.id, "producer_id": producer.id, "site_id": found.id,
        "season_start": season_start.isoformat(), "season_end": season_end.isoformat(),
        "weekday": weekday, "window_opens": window_opens, "window_closes": window_closes,
        "currency": currency, "distributions": len(days),
        "basket_kinds": [{"name": k.name, "price_cents": k.price_cents,
                          "solidarity_price_cents": k.solidarity_price_cents} for k in contract.basket_kinds],
    }, subject=contract.id)
    for distribution in distributions:
        record_event(session, events.SOURCE, events.DISTRIBUTION_SCHEDULED,
                     distribution_event_data(distribution), subject=distribution.id)
    return contract


def list_contracts(session: Session, site: str | None = None) -> list[Contract]:
    query = select(Contract).order_by(Contract.season_start, Contract.name)
    if site is not None:
        found = find_site(session, site)
        if found is None:
            raise invalid("site", f"no site {site!r} is known here", title="Unknown site")
        query = query.where(Contract.site_id == found.id)
    return list(session.scalars(query))


def get_contract(session: Session, contract_id: str) -> Contract:
    return get_or_not_found(session, Contract, contract_id, "Contract")


def shares_taken(session: Session, contract_id: str) -> int:
    return session.scalar(select(func.coalesce(func.sum(Subscription.quantity), 0))
                          .where(Subscription.contract_id == contract_id)) or 0


# -- subscriptions ---------------------------------------------------------------------------
def subscribe(session: Session, contract_id: str, account_id: str, basket_kind: str, quantity: int = 1,
              solidarity: bool = False, partner_account_id: str | None = None, display_name: str = "",
              partner_display_name: str = "", now: datetime | None = None) -> Subscription:
    now = now or utcnow()
    contract = get_contract(session, contract_id)
    if session.get_bind().dialect.name == "postgresql":
        # Two last shares taken at once must not overfill the contract.
        session.execute(select(Contract.id).where(Contract.id == contract.id).with_for_update())
    kind = next((k for k in contract.basket_kinds if k.name == basket_kind or k.id == basket_kind), None)
    if kind is None:
        raise invalid("basket_kind", f"this contract has no basket kind {basket_kind!r}; "
                      f"choose one of {', '.join(k.name for k in contract.basket_kinds)}")
    if partner_account_id is not None and partner_account_id == account_id:
        raise invalid("partner_account_id", "a shared subscription is shared with someone else")
    if solidarity and kind.solidarity_price_cents is None:
        raise invalid("solidarity", f"the {kind.name} basket has no solidarity share in this contract")
    upcoming = list(session.scalars(
        select(Distribution).where(Distribution.contract_id == contract.id, Distribution.status == "scheduled",
                                   Distribution.delivered_at.is_(None), Distribution.starts_at > now)
        .order_by(Distribution.sequence)))
    if not upcoming:
        raise conflict("Contract finished", "This contract has no distribution left to subscribe to.")
    if contract.max_shares is not None:
        taken = shares_taken(session, contract.id)
        if taken + quantity > contract.max_shares:
            raise conflict("Contract full", f"This contract has {contract.max_shares - taken} share(s) left "
                           f"and {quantity} were asked.", shares_left=max(0, contract.max_shares - taken))
    already = session.scalars(select(Subscription.id).where(
        Subscription.contract_id == contract.id,
        or_(Subscription.account_id == account_id, Subscription.partner_account_id == account_id))).first()
    if already:
        raise conflict("Already subscribed", "This account already holds a share of this contract.",
                       subscription_id=already)
    subscription = Subscription(
        id=new_id(), contract_id=contract.id, basket_kind_id=kind.id, quantity=quantity, account_id=account_id,
        partner_account_id=partner_account_id, display_name=display_name,
        partner_display_name=partner_display_name, solidarity=solidarity,
        unit_price_cents=kind.solidarity_price_cents if solidarity else kind.price_cents, created_at=now)
    session.add(subscription)
    session.flush()
    for distribution in upcoming:
        add_basket(session, distribution, subscription, now)
    session.flush()
    return subscription


def add_basket(session: Session, distribution: Distribution, subscription: Subscription, now: datetime) -> Basket:
    taken = set(session.scalars(select(Basket.pickup_code).where(Basket.distribution_id == distribution.id)))
    taken |= {c for c in session.scalars(select(Basket.proxy_code).where(
        Basket.distribution_id == distribution.id, Basket.proxy_code.is_not(None)))}
    basket = Basket(id=new_id(), distribution_id=distribution.id, subscription_id=subscription.id,
                    basket_kind_id=subscription.basket_kind_id, quantity=subscription.quantity,
                    account_id=subscription.holder_for(distribution.sequence), status="expected",
                    pickup_code=new_code(taken), created_at=now)
    session.add(basket)
    return basket


def subscription_summary(session: Session, subscription: Subscription) -> dict:
    counts = dict(session.execute(select(Basket.status, func.count()).where(
        Basket.subscription_id == subscription.id).group_by(Basket.status)).all())
    baskets = sum(counts.values()) - counts.get("cancelled", 0)
    return {
        "id": subscription.id, "contract_id": subscription.contract_id,
        "basket_kind": subscription.basket_kind.name, "quantity": subscription.quantity,
        "account_id": subscription.account_id, "partner_account_id": subscription.partner_account_id,
        "display_name": subscription.display_name, "partner_display_name": subscription.partner_display_name,
        "solidarity": subscription.solidarity, "unit_price_cents": subscription.unit_price_cents,
        "currency": subscription.contract.currency, "distributions": baskets,
        "total_cents": subscription.unit_price_cents * subscription.quantity * baskets,
        "absences_used": counts.get("absent", 0) + counts.get("offered", 0),
        "absence_allowance": subscription.contract.absence_allowance,
        "collected": counts.get("collected", 0), "unclaimed": counts.get("unclaimed", 0),
        "created_at": subscription.created_at,
    }


def list_subscriptions(session: Session, account_id: str | None = None,
                       contract_id: str | None = None) -> list[Subscription]:
    query = select(Subscription).order_by(Subscription.created_at)
    if account_id is not None:
        query = query.where(or_(Subscription.account_id == account_id,
                                Subscription.partner_account_id == account_id))
    if contract_id is not None:
        query = query.where(Subscription.contract_id == contract_id)
    return list(session.scalars(query))


# -- distributions ---------------------------------------------------------------------------
def list_distributions(session: Session, contract_id: str | None = None, site: str | None = None,
                       date_from: date | None = None, date_to: date | None = None) -> list[Distribution]:
    query = select(Distribution).order_by(Distribution.starts_at)
    if contract_id is not None:
        query = query.where(Distribution.contract_id == contract_id)
    if site is not None:
        found = find_site(session, site)
        if found is None:
            raise invalid("site", f"no site {site!r} is known here", title="Unknown site")
        query = query.where(Distribution.site_id == found.id)
    if date_from is not None:
        query = query.where(Distribution.date >= date_from)
    if date_to is not None:
        query = query.where(Distribution.date <= date_to)
    return list(session.scalars(query))


def get_distribution(session: Session, distribution_id: str, lock: bool = False) -> Distribution:
    if lock and session.get_bind().dialect.name == "postgresql":
        # Serialises the changes of one distribution (collections, check-in, closing).
        session.execute(select(Distribution.id).where(Distribution.id == distribution_id).with_for_update())
    distribution = session.get(Distribution, distribution_id, populate_existing=lock)
    if distribution is None:
        raise not_found("Distribution")
    return distribution


def ensure_open(distribution: Distribution) -> None:
    if distribution.status != "scheduled":
        raise Problem(409, f"Distribution {distribution.status}",
                      f"This distribution is {distribution.status}: nothing more can happen at it.",
                      slug=f"distribution-{distribution.status}")


def move_distribution(session: Session, distribution_id: str, new_date: date | None = None,
                      window_opens: str | None = None, window_closes: str | None = None,
                      now: datetime | None = None) -> Distribution:
    now = now or utcnow()
    distribution = get_distribution(session, distribution_id, lock=True)
    ensure_open(distribution)
    if distribution.delivered_at is not None:
        raise conflict("Delivery checked in", "The baskets are already here: this distribution cannot move.")
    site = distribution.site
    old_start, old_end = local_time(distribution.starts_at, site), local_time(distribution.ends_at, site)
    day = new_date or distribution.date
    opens = window_opens or old_start.strftime("%H:%M")
    closes = window_closes or old_end.strftime("%H:%M")
    if closes <= opens:
        raise invalid("window_closes", "the pickup window must close after it opens")
    starts_at, ends_at = local_window(site, day, opens, closes)
    if ends_at <= now:
        raise invalid("date", "a distribution cannot move into the past")
    previous = {"previous_date": distribution.date.isoformat(),
                "previous_starts_at": old_start.astimezone(timezone.utc).isoformat(),
                "previous_ends_at": old_end.astimezone(timezone.utc).isoformat()}
    distribution.date, distribution.starts_at, distribution.ends_at = day, starts_at, ends_at
    distribution.unstaffed_published_at = None
    session.flush()
    record_event(session, events.SOURCE, events.DISTRIBUTION_MOVED,
                 {**distribution_event_data(distribution), **previous}, subject=distribution.id)
    return distribution


def cancel_distribution(session: Session, distribution_id: str, now: datetime | None = None) -> Distribution:
    now = now or utcnow()
    distribution = get_distribution(session, distribution_id, lock=True)
    ensure_open(distribution)
    if session.scalar(select(func.count()).where(Basket.distribution_id == distribution.id,
                                                 Basket.status == "collected")):
        raise conflict("Baskets already collected", "Baskets were collected: close this distribution instead.")
    cancelled = session.execute(update(Basket).where(
        Basket.distribution_id == distribution.id, Basket.status.in_(("expected", "offered", "absent")))
        .values(status="cancelled")).rowcount
    distribution.status, distribution.cancelled_at = "cancelled", now
    record_event(session, events.SOURCE, events.DISTRIBUTION_CANCELLED, {
        **distribution_event_data(distribution), "baskets_cancelled": cancelled}, subject=distribution.id)
    return distribution


def distribution_baskets(session: Session, distribution_id: str) -> list[Basket]:
    get_distribution(session, distribution_id)
    return list(session.scalars(select(Basket).where(Basket.distribution_id == distribution_id)
                                .order_by(Basket.created_at, Basket.id)))


def expected_by_kind(session: Session, distribution: Distribution) -> dict[str, int]:
    rows = session.execute(select(Basket.basket_kind_id, func.sum(Basket.quantity)).where(
        Basket.distribution_id == distribution.id, Basket.status.in_(OPEN + ("collected",)))
        .group_by(Basket.basket_kind_id)).all()
    return {kind_id: int(total) for kind_id, total in rows}


def delivery_summary(session: Session, distribution: Distribution) -> dict:
    kinds = {k.id: k for k in distribution.contract.basket_kinds}
    deliveries = {d.basket_kind_id: d for d in session.scalars(
        select(Delivery).where(Delivery.distribution_id == distribution.id))}
    expected = expected_by_kind(session, distribution)
    collected = dict(session.execute(select(Basket.basket_kind_id, func.sum(Basket.collected_quantity)).where(
        Basket.distribution_id == distribution.id, Basket.status == "collected")
        .group_by(Basket.basket_kind_id)).all())
    rows = []
    for kind_id, kind in kinds.items():
        delivery = deliveries.get(kind_id)
        rows.append({"basket_kind": kind.name,
                     "expected": delivery.expected if delivery else expected.get(kind_id, 0),
                     "arrived": delivery.arrived if delivery else None,
                     "shortfall": delivery.shortfall if delivery else None,
                     "collected": int(collected.get(kind_id) or 0)})
    return {"distribution_id": distribution.id, "checked_in": distribution.delivered_at is not None,
            "checked_in_at": distribution.delivered_at, "kinds": rows,
            "shortfall": sum(r["shortfall"] or 0 for r in rows)}


def check_in_delivery(session: Session, distribution_id: str, arrived: dict[str, int], checked_in_by: str,
                      now: datetime | None = None) -> dict:
    """Record what the producer brought; publish the shortfall and "your basket is ready" notices."""
    now = now or utcnow()
    distribution = get_distribution(session, distribution_id, lock=True)
    ensure_open(distribution)
    if distribution.delivered_at is not None:
        raise conflict("Delivery already checked in", "This distribution's delivery was already checked in.")
    kinds = {k.name: k for k in distribution.contract.basket_kinds}
    unknown = sorted(set(arrived) - set(kinds))
    if unknown:
        raise invalid("arrived", f"this contract has no basket kind {', '.join(unknown)}; "
                      f"its kinds are {', '.join(kinds)}")
    expected = expected_by_kind(session, distribution)
    lines = []
    for name, kind in kinds.items():
        delivery = Delivery(id=new_id(), distribution_id=distribution.id, basket_kind_id=kind.id,
                            expected=expected.get(kind.id, 0), arrived=arrived.get(name, 0),
                            checked_in_by=checked_in_by, checked_in_at=now)
        session.add(delivery)
        lines.append({"basket_kind": name, "expected": delivery.expected, "arrived": delivery.arrived,
                      "shortfall": delivery.shortfall})
    distribution.delivered_at = now
    session.flush()
    record_event(session, events.SOURCE, events.DELIVERY_RECEIVED, {
        "distribution_id": distribution.id, "contract_id": distribution.contract_id,
        "site_id": distribution.site_id, "producer_id": distribution.contract.producer_id,
        "distribution_date": distribution.date.isoformat(), "kinds": lines,
        "shortfall": sum(line["shortfall"] for line in lines),
    }, subject=distribution.id)
    # Baskets are handed out first come, first served; the first ones (in subscription order)
    # that the delivery covers are announced as ready.
    stock = {kinds[name].id: arrived.get(name, 0) for name in kinds}
    for basket in distribution_baskets(session, distribution.id):
        if basket.status != "expected" or stock.get(basket.basket_kind_id, 0) <= 0:
            continue
        stock[basket.basket_kind_id] -= basket.quantity
        if basket.account_id is None:
            continue
        record_event(session, events.SOURCE, events.BASKET_READY, {
            "basket_id": basket.id, "distribution_id": distribution.id, "site_id": distribution.site_id,
            "account_id": basket.account_id, "distribution_date": distribution.date.isoformat(),
            "basket_kind": basket.basket_kind.name, "quantity": basket.quantity,
            "starts_at": distribution.starts_at.astimezone(timezone.utc).isoformat(),
            "ends_at": distribution.ends_at.astimezone(timezone.utc).isoformat(),
        }, subject=basket.id)
    return delivery_summary(session, distribution)


# -- collection ------------------------------------------------------------------------------
def _find_basket_to_collect(session: Session, distribution: Distribution, code: str | None,
                            basket_id: str | None, account_id: str | None) -> tuple[Basket, str]:
    if basket_id is not None:
        basket = session.get(Basket, basket_id)
        if basket is None:
            raise invalid("basket_id", "no basket has this id")
        if basket.distribution_id != distribution.id:
            raise invalid("basket_id", "this basket belongs to another distribution "
                          f"(the one of {basket.distribution.date.isoformat()})", title="Wrong distribution")
        return basket, "subscriber"
    if code is not None:
        wanted = normalise_code(code)
        basket = session.scalars(select(Basket).where(
            Basket.distribution_id == distribution.id,
            or_(Basket.pickup_code == wanted, Basket.proxy_code == wanted))).first()
        if basket is None:
            raise invalid("code", "no basket of this distribution has this pickup code; check it with "
                          "the neighbour", title="Unknown pickup code")
        return basket, "code" if basket.pickup_code == wanted else "proxy_code"
    candidates = list(session.scalars(select(Basket).where(
        Basket.distribution_id == distribution.id,
        or_(Basket.account_id == account_id, Basket.proxy_account_id == account_id))
        .order_by(Basket.created_at, Basket.id)))
    if not candidates:
        raise invalid("account_id", "this account has no basket and is no proxy at this distribution",
                      title="No basket for this account")
    basket = next((b for b in candidates if b.status in OPEN), candidates[0])
    return basket, "subscriber" if basket.account_id == account_id else "proxy"


def collect_basket(session: Session, distribution_id: str, collected_by: str, code: str | None = None,
                   basket_id: str | None = None, account_id: str | None = None,
                   now: datetime | None = None) -> Basket:
    """A veilleur ticks off one basket, found by id, pickup or proxy code, or account."""
    now = now or utcnow()
    distribution = get_distribution(session, distribution_id, lock=True)
    ensure_open(distribution)
    basket, via = _find_basket_to_collect(session, distribution, code, basket_id, account_id)
    if basket.status == "collected":
        raise Problem(409, "Basket already collected",
                      f"This basket was collected at {local_time(basket.collected_at, distribution.site):%H:%M}.",
                      slug="basket-already-collected", collected_at=basket.collected_at.isoformat())
    if basket.status not in OPEN:
        raise Problem(409, f"Basket {basket.status}", f"This basket is {basket.status.replace('_', ' ')}: "
                      "it cannot be collected.", slug=f"basket-{basket.status.replace('_', '-')}")
    handed = basket.quantity
    if distribution.delivered_at is not None:
        delivery = session.scalars(select(Delivery).where(Delivery.distribution_id == distribution.id,
                                                          Delivery.basket_kind_id == basket.basket_kind_id)).one()
        gone = session.scalar(select(func.coalesce(func.sum(Basket.collected_quantity), 0)).where(
            Basket.distribution_id == distribution.id, Basket.basket_kind_id == basket.basket_kind_id,
            Basket.status == "collected")) or 0
        left = delivery.arrived - gone
        if left <= 0:
            raise Problem(409, "No basket left", f"No {basket.basket_kind.name} basket is left: the producer "
                          f"brought {delivery.arrived} and all were collected.", slug="no-basket-left")
        handed = min(handed, left)
    # The database is the judge: of two volunteers ticking the same basket, one update wins.
    ticked = session.execute(
        update(Basket).where(Basket.id == basket.id, Basket.collected_at.is_(None), Basket.status.in_(OPEN))
        .values(status="collected", collected_at=now, collected_by=collected_by, collected_via=via,
                collected_quantity=handed)
        .execution_options(synchronize_session=False)).rowcount
    if ticked != 1:
        raise Problem(409, "Basket already collected", "Someone ticked this basket off a moment ago.",
                      slug="basket-already-collected")
    session.refresh(basket)
    record_event(session, events.SOURCE, events.BASKET_COLLECTED, {
        "basket_id": basket.id, "distribution_id": distribution.id, "site_id": distribution.site_id,
        "account_id": basket.account_id, "basket_kind": basket.basket_kind.name, "quantity": handed,
        "collected_via": via, "collected_at": now.isoformat(),
    }, subject=basket.id)
    return basket


# -- closing ---------------------------------------------------------------------------------
def close_distribution(session: Session, distribution_id: str, now: datetime | None = None,
                       only_if_open: bool = False) -> dict | None:
    """Every basket not collected becomes unclaimed and goes to the grocery, within what arrived."""
    now = now or utcnow()
    distribution = get_distribution(session, distribution_id, lock=True)
    if only_if_open and distribution.status != "scheduled":
        return None  # closed by a veilleur, or another worker, meanwhile
    ensure_open(distribution)
    deliveries = {d.basket_kind_id: d for d in session.scalars(
        select(Delivery).where(Delivery.distribution_id == distribution.id))}
    baskets = distribution_baskets(session, distribution.id)
    # Without a check-in, we trust that the producer brought what was expected.
    left = {kind_id: (deliveries[kind_id].arrived if kind_id in deliveries else total)
            for kind_id, total in expected_by_kind(session, distribution).items()}
    for basket in baskets:
        if basket.status == "collected":
            left[basket.basket_kind_id] = left.get(basket.basket_kind_id, 0) - (basket.collected_quantity or 0)
    unclaimed, not_delivered = [], 0
    for basket in baskets:
        if basket.status not in OPEN:
            continue
        quantity = max(0, min(basket.quantity, left.get(basket.basket_kind_id, 0)))
        if quantity == 0:
            basket.status = "not_delivered"
            not_delivered += 1
            continue
        left[basket.basket_kind_id] -= quantity
        basket.status, basket.unclaimed_at, basket.unclaimed_quantity = "unclaimed", now, quantity
        unclaimed.append(basket)
        record_event(session, events.SOURCE, events.BASKET_UNCLAIMED, {
            "basket_id": basket.id, "distribution_id": distribution.id, "site_id": distribution.site_id,
            "distribution_date": distribution.date.isoformat(), "producer_id": distribution.contract.producer_id,
            "basket_kind": basket.basket_kind.name, "category": basket.basket_kind.category, "quantity": quantity,
        }, subject=basket.id)
    distribution.status, distribution.closed_at = "closed", now
    counts = {status: sum(1 for b in baskets if b.status == status)
              for status in ("collected", "unclaimed", "not_delivered", "absent")}
    session.flush()
    record_event(session, events.SOURCE, events.DISTRIBUTION_CLOSED, {
        **distribution_event_data(distribution), "baskets": counts}, subject=distribution.id)
    return {"distribution_id": distribution.id, "status": distribution.status, "closed_at": now,
            "baskets": counts, "unclaimed": [b.id for b in unclaimed]}


def ended_distributions(session: Session, now: datetime | None = None) -> list[str]:
    """Distributions still open whose pickup window has ended: the worker closes them."""
    return list(session.scalars(select(Distribution.id).where(
        Distribution.status == "scheduled", Distribution.ends_at <= (now or utcnow()))
        .order_by(Distribution.ends_at)))


# -- what a subscriber does: absences, proxies, their own baskets ----------------------------
def _own_basket(session: Session, basket_id: str, account_id: str) -> Basket:
    basket = session.get(Basket, basket_id)
    if basket is None or basket.account_id != account_id:
        # Someone else's basket is as good as unknown: its existence is not theirs to learn.
        raise not_found("Basket")
    return basket


def declare_absence(session: Session, basket_id: str, account_id: str, now: datetime | None = None) -> Basket:
    now = now or utcnow()
    basket = _own_basket(session, basket_id, account_id)
    distribution = get_distribution(session, basket.distribution_id, lock=True)
    ensure_open(distribution)
    contract = distribution.contract
    if basket.status in ("absent", "offered") and basket.absent_at is not None:
        raise conflict("Absence already declared", "An absence is already declared for this basket.")
    if basket.status != "expected":
        raise conflict("Basket not expected", f"This basket is {basket.status}: no absence can be declared.")
    cutoff = distribution.starts_at - timedelta(hours=contract.absence_cutoff_hours)
    if now >= cutoff:
        raise Problem(409, "Too late for an absence",
                      f"Absences close {contract.absence_cutoff_hours} h before the distribution, at "
                      f"{local_time(cutoff, distribution.site):%d/%m/%Y %H:%M}.", slug="absence-too-late",
                      cutoff=local_time(cutoff, distribution.site).isoformat())
    used = session.scalar(select(func.count()).where(Basket.subscription_id == basket.subscription_id,
                                                     Basket.absent_at.is_not(None))) or 0
    if used >= contract.absence_allowance:
        raise Problem(409, "No absence left", f"This contract allows {contract.absence_allowance} absence(s) "
                      f"per share and {used} are used.", slug="absence-allowance-used",
                      absence_allowance=contract.absence_allowance, absences_used=used)
    basket.status = "offered" if contract.absent_baskets == "offered" else "absent"
    basket.absent_at = now
    basket.proxy_account_id, basket.proxy_code = None, None
    record_event(session, events.SOURCE, events.BASKET_ABSENCE_DECLARED, {
        "basket_id": basket.id, "distribution_id": distribution.id, "site_id": distribution.site_id,
        "account_id": account_id, "distribution_date": distribution.date.isoformat(),
        "starts_at": distribution.starts_at.isoformat(), "ends_at": distribution.ends_at.isoformat(),
        "basket_kind": basket.basket_kind.name, "quantity": basket.quantity, "status": basket.status,
        "absences_used": used + 1, "absence_allowance": contract.absence_allowance}, subject=basket.id)
    return basket


def name_proxy(session: Session, basket_id: str, account_id: str, proxy_account_id: str | None) -> Basket:
    """Someone else collects this basket: another account, or whoever shows a one-off code."""
    basket = _own_basket(session, basket_id, account_id)
    distribution = get_distribution(session, basket.distribution_id, lock=True)
    ensure_open(distribution)
    if basket.status != "expected":
        raise conflict("Basket not expected", f"This basket is {basket.status}: no proxy can be named.")
    if proxy_account_id is not None:
        if proxy_account_id == account_id:
            raise invalid("account_id", "name someone else as proxy")
        basket.proxy_account_id, basket.proxy_code = proxy_account_id, None
    else:
        taken = set(session.scalars(select(Basket.pickup_code).where(Basket.distribution_id == distribution.id)))
        taken |= {c for c in session.scalars(select(Basket.proxy_code).where(
            Basket.distribution_id == distribution.id, Basket.proxy_code.is_not(None)))}
        basket.proxy_account_id, basket.proxy_code = None, new_code(taken)
    return basket


def withdraw_proxy(session: Session, basket_id: str, account_id: str) -> Basket:
    basket = _own_basket(session, basket_id, account_id)
    if basket.status != "expected":
        raise conflict("Basket not expected", f"This basket is {basket.status}.")
    basket.proxy_account_id, basket.proxy_code = None, None
    return basket


def basket_view(basket: Basket, viewer: str | None, staff: bool = False) -> dict:
    """A basket as one person may see it: the codes only for the one who holds it."""
    distribution = basket.distribution
    site = distribution.site
    view = {
        "id": basket.id, "distribution_id": distribution.id, "contract_id": distribution.contract_id,
        "site_id": distribution.site_id, "distribution_date": distribution.date,
        "starts_at": local_time(distribution.starts_at, site), "ends_at": local_time(distribution.ends_at, site),
        "producer_name": distribution.contract.producer.name, "basket_kind": basket.basket_kind.name,
        "quantity": basket.quantity, "status": basket.status, "collected_at": basket.collected_at,
        "subscription_id": basket.subscription_id, "account_id": basket.account_id,
        "proxy": "account" if basket.proxy_account_id else "code" if basket.proxy_code else None,
    }
    if viewer is not None and basket.account_id == viewer:
        view["pickup_code"] = basket.pickup_code
        view["proxy_code"] = basket.proxy_code
        view["proxy_account_id"] = basket.proxy_account_id
    elif viewer is not None and basket.proxy_account_id == viewer:
        view["role"] = "proxy"
    if staff:
        view["name"] = basket.subscription.name_for(distribution.sequence)
        view["proxy_account_id"] = basket.proxy_account_id
    return view


def my_baskets(session: Session, account_id: str, upcoming: bool = False,
               now: datetime | None = None, contract_id: str | None = None) -> list[Basket]:
    query = (select(Basket).join(Distribution, Basket.distribution_id == Distribution.id)
             .where(or_(Basket.account_id == account_id, Basket.proxy_account_id == account_id))
             .order_by(Distribution.starts_at, Basket.created_at))
    if contract_id is not None:
        query = query.where(Distribution.contract_id == contract_id)
    if upcoming:
        query = query.where(Distribution.ends_at > (now or utcnow()), Distribution.status == "scheduled")
    return list(session.scalars(query))


# -- volunteer roster ------------------------------------------------------------------------
def roster(session: Session, distribution_id: str) -> dict:
    distribution = get_distribution(session, distribution_id)
    entries = list(session.scalars(select(RosterEntry).where(RosterEntry.distribution_id == distribution.id)
                                   .order_by(RosterEntry.created_at)))
    needed = {"opener": distribution.contract.openers_needed,
              "distributor": distribution.contract.distributors_needed}
    return {
        "distribution_id": distribution.id,
        "roles": [{"role": role, "needed": needed[role],
                   "volunteers": [{"account_id": e.account_id, "display_name": e.display_name}
                                  for e in entries if e.role == role]} for role in ROLES],
        "staffed": all(sum(1 for e in entries if e.role == role) >= needed[role] for role in ROLES),
    }


def sign_up(session: Session, distribution_id: str, account_id: str, role: str, display_name: str = "",
            now: datetime | None = None) -> dict:
    distribution = get_distribution(session, distribution_id, lock=True)
    ensure_open(distribution)
    exists = session.scalars(select(RosterEntry).where(
        RosterEntry.distribution_id == distribution.id, RosterEntry.account_id == account_id,
        RosterEntry.role == role)).first()
    if exists:
        raise conflict("Already signed up", f"You are already {role} at this distribution.")
    session.add(RosterEntry(id=new_id(), distribution_id=distribution.id, account_id=account_id, role=role,
                            display_name=display_name, created_at=now or utcnow()))
    session.flush()
    return roster(session, distribution.id)


def withdraw(session: Session, distribution_id: str, account_id: str, role: str) -> dict:
    distribution = get_distribution(session, distribution_id, lock=True)
    ensure_open(distribution)
    entry = session.scalars(select(RosterEntry).where(
        RosterEntry.distribution_id == distribution.id, RosterEntry.account_id == account_id,
        RosterEntry.role == role)).first()
    if entry is None:
        raise not_found("Roster entry", f"You are not {role} at this distribution.")
    session.delete(entry)
    session.flush()
    return roster(session, distribution.id)


def publish_unstaffed(session: Session, now: datetime | None = None) -> list[str]:
    """Publish, once each, the distributions starting within 48 h that lack volunteers."""
    now = now or utcnow()
    soon = list(session.scalars(select(Distribution).where(
        Distribution.status == "scheduled", Distribution.unstaffed_published_at.is_(None),
        Distribution.starts_at > now, Distribution.starts_at <= now + UNSTAFFED_NOTICE)))
    published = []
    for distribution in soon:
        counts = dict(session.execute(select(RosterEntry.role, func.count()).where(
            RosterEntry.distribution_id == distribution.id).group_by(RosterEntry.role)).all())
        contract = distribution.contract
        if (counts.get("opener", 0) >= contract.openers_needed
                and counts.get("distributor", 0) >= contract.distributors_needed):
            continue
        distribution.unstaffed_published_at = now
        record_event(session, events.SOURCE, events.DISTRIBUTION_UNSTAFFED, {
            **distribution_event_data(distribution),
            "openers_needed": contract.openers_needed, "openers": counts.get("opener", 0),
            "distributors_needed": contract.distributors_needed, "distributors": counts.get("distributor", 0),
        }, subject=distribution.id)
        published.append(distribution.id)
    return published


# -- erasure ---------------------------------------------------------------------------------
def erase_account(session: Session, account_id: str, now: datetime | None = None) -> None:
    """Forget a person: their shares, baskets and turns stay as anonymous counts."""
    now = now or utcnow()
    session.execute(update(Subscription).where(Subscription.account_id == account_id)
                    .values(account_id=None, display_name="", anonymised_at=now))
    session.execute(update(Subscription).where(Subscription.partner_account_id == account_id)
                    .values(partner_account_id=None, partner_display_name="", anonymised_at=now))
    session.execute(update(Basket).where(Basket.account_id == account_id).values(account_id=None))
    session.execute(update(Basket).where(Basket.proxy_account_id == account_id).values(proxy_account_id=None))
    session.execute(update(RosterEntry).where(RosterEntry.account_id == account_id)
                    .values(account_id=None, display_name=""))


# -- sign-in sheet ---------------------------------------------------------------------------
def sign_in_sheet(session: Session, distribution_id: str) -> dict:
    """The rows a veilleur prints: who collects what; never the pickup codes."""
    distribution = get_distribution(session, distribution_id)
    rows = []
    for basket in distribution_baskets(session, distribution.id):
        if basket.status in ("absent", "cancelled"):
            continue
        name = basket.subscription.name_for(distribution.sequence) or f"Abonné·e {basket.subscription_id[:8]}"
        rows.append({"name": name, "basket_kind": basket.basket_kind.name, "quantity": basket.quantity,
                     "proxy": ("compte" if basket.proxy_account_id else "code" if basket.proxy_code else ""),
                     "status": basket.status, "shared": basket.subscription.partner_account_id is not None,
                     "collected_at": (local_time(basket.collected_at, distribution.site).strftime("%H:%M")
                                      if basket.collected_at else "")})
    rows.sort(key=lambda row: row["name"].casefold())
    return {"distribution": distribution, "rows": rows,
            "starts_at": local_time(distribution.starts_at, distribution.site),
            "ends_at": local_time(distribution.ends_at, distribution.site)}
