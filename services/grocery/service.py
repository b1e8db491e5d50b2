"""Use cases of the grocery service; no Flask here."""
from __future__ import annotations

import calendar
import hashlib
import json
import secrets
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from services.grocery import events
from services.grocery.models import (
    UNIT_SCALE,
    GroceryRules,
    Household,
    HouseholdDecision,
    Lot,
    Movement,
    Product,
    Sale,
    SaleLine,
    Site,
)
from shared.bus import record_event
from shared.events import utcnow
from shared.problems import Problem, conflict, get_or_not_found, invalid, not_found

PAYMENT_METHODS = ("cash", "card", "cheque", "transfer", "meal_voucher")
CARD_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read aloud at the till
REMOVALS = ("loss", "expiry_write_off")
MAX_SALE_CENTS = 100_000_000  # far above any basket, far below the 32-bit columns


# -- sites, dates and quantities ---------------------------------------------------------------

def list_sites(session: Session) -> list[Site]:
    return list(session.scalars(select(Site).order_by(Site.name)))


def find_site(session: Session, site_ref: str, field: str = "site") -> Site:
    site = session.scalars(select(Site).where(or_(Site.id == site_ref, Site.slug == site_ref))).first()
    if site is None:
        raise invalid(field, f"no site {site_ref!r} is known here", title="Unknown site")
    return site


def local_now(site: Site, now: datetime | None = None) -> datetime:
    return (now or utcnow()).astimezone(ZoneInfo(site.timezone or "Europe/Paris"))


def site_today(site: Site, now: datetime | None = None) -> date:
    return local_now(site, now).date()


def site_month(site: Site, now: datetime | None = None) -> str:
    return local_now(site, now).strftime("%Y-%m")


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def to_base(unit: str, quantity, field: str = "quantity", allow_zero: bool = False) -> int:
    """A quantity in the product's unit (2 pieces, 1.25 kg) as whole base units (pieces, grams, ml)."""
    value = Decimal(str(quantity))
    if value < 0 or (value == 0 and not allow_zero):
        raise invalid(field, "give a quantity greater than zero" if not allow_zero else "give zero or more")
    scale = UNIT_SCALE[unit]
    if unit == "piece" and value != value.to_integral_value():
        raise invalid(field, "this product is sold by the piece: give a whole number of pieces")
    base = value * scale
    if base != base.to_integral_value():
        raise invalid(field, f"give at most 3 decimals for a quantity in {unit}")
    if base > 100_000_000:
        raise invalid(field, "this quantity is too large")
    return int(base)


def from_base(unit: str, quantity: int) -> int | float:
    scale = UNIT_SCALE[unit]
    return quantity if scale == 1 else quantity / scale


def _round_div(numerator: int, denominator: int) -> int:
    """Integer division rounded half up, for amounts in cents."""
    return (numerator + denominator // 2) // denominator


# -- rules of a site ---------------------------------------------------------------------------

def get_rules(session: Session, site_ref: str) -> GroceryRules:
    site = find_site(session, site_ref)
    rules = session.get(GroceryRules, site.id)
    if rules is None:
        raise not_found("Grocery rules", f"The grocery of {site.slug} has no rules yet: an admin sets them.")
    return rules


def set_rules(session: Session, site_ref: str, by: str, threshold_cents_per_day: int, access_months: int,
              monthly_caps_cents: list[int], tier_percentages: dict[str, int], currency: str = "EUR",
              now: datetime | None = None) -> GroceryRules:
    site = find_site(session, site_ref)
    rules = session.get(GroceryRules, site.id)
    if rules is None:
        rules = GroceryRules(site_id=site.id)
        session.add(rules)
    rules.threshold_cents_per_day, rules.access_months = threshold_cents_per_day, access_months
    rules.monthly_caps_cents, rules.tier_percentages = list(monthly_caps_cents), dict(tier_percentages)
    rules.currency, rules.updated_by, rules.updated_at = currency, by, now or utcnow()
    session.flush()
    return rules


def _rules_of(session: Session, site: Site) -> GroceryRules:
    rules = session.get(GroceryRules, site.id)
    if rules is None:
        raise conflict("No grocery rules", f"The grocery of {site.slug} has no rules yet: an admin sets "
                       "the threshold, access period, caps and tiers first.")
    return rules


# -- households --------------------------------------------------------------------------------

def reste_a_vivre(monthly_resources_cents: int, fixed_charges_cents: int, household_size: int) -> int:
    """Cents left per person per day: (resources - fixed charges) / household size / 30."""
    return (monthly_resources_cents - fixed_charges_cents) // (household_size * 30)


def _new_card_number(session: Session) -> str:
    while True:
        raw = "".join(secrets.choice(CARD_ALPHABET) for _ in range(8))
        number = f"EPI-{raw[:4]}-{raw[4:]}"
        if session.scalars(select(Household.id).where(Household.card_number == number)).first() is None:
            return number


def _judge(session: Session, household: Household, rules: GroceryRules, action: str, by: str,
           today: date, now: datetime) -> HouseholdDecision:
    household.reste_a_vivre_cents_per_day = reste_a_vivre(
        household.monthly_resources_cents, household.fixed_charges_cents, household.household_size)
    eligible = household.reste_a_vivre_cents_per_day < rules.threshold_cents_per_day
    if eligible:
        # A renewal before the end extends the current period instead of cutting it short.
        start = today
        if household.status == "eligible" and household.eligible_until and household.eligible_until >= today:
            start = household.eligible_until
        household.status = "eligible"
        household.eligible_until = add_months(start, rules.access_months)
        household.monthly_cap_cents = rules.cap_for(household.household_size)
    else:
        household.status, household.eligible_until, household.monthly_cap_cents = "ineligible", None, 0
    household.decided_by, household.decided_at = by, now
    decision = HouseholdDecision(
        id=str(uuid.uuid4()), household_id=household.id, action=action, outcome=household.status,
        reste_a_vivre_cents_per_day=household.reste_a_vivre_cents_per_day,
        threshold_cents_per_day=rules.threshold_cents_per_day, monthly_cap_cents=household.monthly_cap_cents,
        eligible_until=household.eligible_until, decided_by=by, decided_at=now)
    household.decisions.append(decision)
    return decision


def _household_event(household: Household) -> dict:
    return {"household_id": household.id, "site_id": household.site_id, "status": household.status,
            "eligible_until": household.eligible_until.isoformat() if household.eligible_until else None,
            "monthly_cap_cents": household.monthly_cap_cents}


def register_household(session: Session, site: str, by: str, referrer_organisation: str, household_size: int,
                       monthly_resources_cents: int, fixed_charges_cents: int,
                       now: datetime | None = None) -> Household:
    found = find_site(session, site)
    rules = _rules_of(session, found)
    now = now or utcnow()
    household = Household(
        id=str(uuid.uuid4()), site_id=found.id, card_number=_new_card_number(session),
        referrer_account_id=by, referrer_organisation=referrer_organisation, household_size=household_size,
        monthly_resources_cents=monthly_resources_cents, fixed_charges_cents=fixed_charges_cents,
        reste_a_vivre_cents_per_day=0, status="new", monthly_cap_cents=0, created_at=now, decided_at=now)
    session.add(household)
    _judge(session, household, rules, "registered", by, site_today(found, now), now)
    session.flush()
    record_event(session, events.SOURCE, events.HOUSEHOLD_REGISTERED, _household_event(household),
                 subject=household.id)
    return household


def get_household(session: Session, household_id: str, viewer: str | None = None,
                  viewer_is_staff: bool = True) -> Household:
    household = session.get(Household, household_id)
    # A referrer sees only the households they referred; others learn nothing, not even existence.
    if household is None or not (viewer_is_staff or (viewer and household.referrer_account_id == viewer)):
        raise not_found("Household")
    return household


def list_households(session: Session, site: str, status: str | None = None) -> list[Household]:
    found = find_site(session, site)
    query = select(Household).where(Household.site_id == found.id).order_by(Household.created_at)
    if status:
        query = query.where(Household.status == status)
    return list(session.scalars(query))


def renew_household(session: Session, household_id: str, by: str, changes: dict,
                    now: datetime | None = None) -> Household:
    household = session.scalars(select(Household).where(Household.id == household_id)
                                .with_for_update(of=Household)).first()
    if household is None:
        raise not_found("Household")
    site = session.get(Site, household.site_id)
    rules = _rules_of(session, site)
    now = now or utcnow()
    for key in ("household_size", "monthly_resources_cents", "fixed_charges_cents", "referrer_organisation"):
        if key in changes:
            setattr(household, key, changes[key])
    _judge(session, household, rules, "renewed", by, site_today(site, now), now)
    session.flush()
    record_event(session, events.SOURCE, events.HOUSEHOLD_RENEWED, _household_event(household),
                 subject=household.id)
    return household


def end_household(session: Session, household_id: str, by: str, now: datetime | None = None) -> Household:
    """The referent ends a household's access before its term (it moved away, its situation changed).

    The household and its decisions stay; a renewal judges it again later if it is referred anew.
    """
    household = session.scalars(select(Household).where(Household.id == household_id)
                                .with_for_update(of=Household)).first()
    if household is None:
        raise not_found("Household")
    if household.status == "ended":
        raise conflict("Household already ended", "This household's access was already ended.")
    now = now or utcnow()
    household.status, household.eligible_until, household.monthly_cap_cents = "ended", None, 0
    household.decided_by, household.decided_at = by, now
    household.decisions.append(HouseholdDecision(
        id=str(uuid.uuid4()), household_id=household.id, action="ended", outcome="ended",
        reste_a_vivre_cents_per_day=household.reste_a_vivre_cents_per_day, threshold_cents_per_day=0,
        monthly_cap_cents=0, eligible_until=None, decided_by=by, decided_at=now))
    session.flush()
    record_event(session, events.SOURCE, events.HOUSEHOLD_ENDED,
                 {"household_id": household.id, "site_id": household.site_id}, subject=household.id)
    return household


def expire_households(session: Session, site: Site, now: datetime | None = None) -> list[Household]:
    """Mark as expired the households whose access period ended before today."""
    now = now or utcnow()
    today = site_today(site, now)
    due = list(session.scalars(
        select(Household).where(Household.site_id == site.id, Household.status == "eligible",
                                Household.eligible_until < today).with_for_update(of=Household)))
    for household in due:
        household.status = "expired"
        household.decisions.append(HouseholdDecision(
            id=str(uuid.uuid4()), household_id=household.id, action="expired", outcome="expired",
            reste_a_vivre_cents_per_day=household.reste_a_vivre_cents_per_day, threshold_cents_per_day=0,
            monthly_cap_cents=household.monthly_cap_cents, eligible_until=household.eligible_until,
            decided_by=None, decided_at=now))
        record_event(session, events.SOURCE, events.HOUSEHOLD_EXPIRED,
                     {"household_id": household.id, "site_id": site.id,
                      "eligible_until": household.eligible_until.isoformat()}, subject=household.id)
    session.flush()
    return due


def _spent_this_month(session: Session, household: Household, month: str) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(Sale.goods_cents), 0)).where(
        Sale.household_id == household.id, Sale.month == month, Sale.kind == "solidarity")) or 0)


def _household_by_card(session: Session, card_number: str, lock: bool = False) -> Household:
    query = select(Household).where(Household.card_number == card_number.strip().upper())
    if lock:
        query = query.with_for_update(of=Household).execution_options(populate_existing=True)
    household = session.scalars(query).first()
    if household is None:
        raise Problem(404, "Unknown card", f"No household has the card {card_number!r}: check the number "
                      "on the card.", slug="unknown-card", errors={"card_number": ["unknown card number"]})
    return household


def _is_eligible(household: Household, today: date) -> bool:
    return household.status == "eligible" and household.eligible_until is not None \
        and household.eligible_until >= today


def cashier_view(session: Session, card_number: str, now: datetime | None = None) -> dict:
    """What the till may know of a household: its card, until when, how much is left this month."""
    household = _household_by_card(session, card_number)
    site = session.get(Site, household.site_id)
    eligible = _is_eligible(household, site_today(site, now))
    left = household.monthly_cap_cents - _spent_this_month(session, household, site_month(site, now))
    rules = session.get(GroceryRules, site.id)
    return {"card_number": household.card_number,
            "eligible_until": household.eligible_until if eligible else None,
            "budget_left_cents": max(left, 0) if eligible else 0,
            "currency": rules.currency if rules else "EUR"}


# -- products ----------------------------------------------------------------------------------

def _check_tier(session: Session, site_id: str, tier: str | None) -> None:
    rules = session.get(GroceryRules, site_id)
    if tier is not None and rules is not None and tier not in rules.tier_percentages:
        raise invalid("tier", f"the site's tiers are {', '.join(sorted(rules.tier_percentages))}")


def create_product(session: Session, site: str, name: str, category: str, unit: str, retail_price_cents: int,
                   tier: str | None = None, local: bool = False, deposit_cents: int = 0,
                   monthly_limit=None, low_stock_threshold=None, external_key: str | None = None,
                   now: datetime | None = None) -> Product:
    found = find_site(session, site)
    _check_tier(session, found.id, tier)
    if deposit_cents and unit != "piece":
        raise invalid("deposit_cents", "a deposit is for returnable containers sold by the piece")
    now = now or utcnow()
    product = Product(
        id=str(uuid.uuid4()), site_id=found.id, name=name, category=category, unit=unit,
        retail_price_cents=retail_price_cents, tier=tier, local=local, deposit_cents=deposit_cents,
        monthly_limit=to_base(unit, monthly_limit, "monthly_limit") if monthly_limit is not None else None,
        low_stock_threshold=to_base(unit, low_stock_threshold, "low_stock_threshold", allow_zero=True)
        if low_stock_threshold is not None else 0,
        external_key=external_key, created_at=now, updated_at=now)
    session.add(product)
    session.flush()
    return product


def get_product(session: Session, product_id: str) -> Product:
    return get_or_not_found(session, Product, product_id, "Product")


def list_products(session: Session, site: str, local: bool | None = None) -> list[Product]:
    found = find_site(session, site)
    query = select(Product).where(Product.site_id == found.id).order_by(Product.category, Product.name)
    if local is not None:
        query = query.where(Product.local == local)
    return list(session.scalars(query))


def update_product(session: Session, product_id: str, changes: dict) -> Product:
    product = get_product(session, product_id)
    if "tier" in changes:
        _check_tier(session, product.site_id, changes["tier"])
    if changes.get("deposit_cents") and product.unit != "piece":
        raise invalid("deposit_cents", "a deposit is for returnable containers sold by the piece")
    for key, value in changes.items():
        if key == "monthly_limit":
            value = to_base(product.unit, value, key) if value is not None else None
        elif key == "low_stock_threshold":
            value = to_base(product.unit, value, key, allow_zero=True)
        setattr(product, key, value)
    product.updated_at = utcnow()
    session.flush()
    return product


def product_stock(session: Session, product_id: str) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(Lot.quantity), 0))
                              .where(Lot.product_id == product_id)) or 0)


def stock_report(session: Session, product_id: str, now: datetime | None = None) -> dict:
    product = get_product(session, product_id)
    site = session.get(Site, product.site_id)
    today = site_today(site, now)
    lots = list(session.scalars(_fefo_order(select(Lot).where(Lot.product_id == product.id, Lot.quantity > 0))))
    sellable = sum(lot.quantity for lot in lots if not _dlc_passed(lot, today))
    return {"product_id": product.id, "unit": product.unit, "quantity": from_base(product.unit, sum(
        lot.quantity for lot in lots)), "sellable_quantity": from_base(product.unit, sellable),
        "lots": [lot_view(lot, today) for lot in lots]}


# -- lots and movements ------------------------------------------------------------------------

def _dlc_passed(lot: Lot, today: date) -> bool:
    return lot.expiry_kind == "dlc" and lot.expiry_date is not None and lot.expiry_date < today


def lot_view(lot: Lot, today: date) -> dict:
    unit = lot.product.unit
    return {"id": lot.id, "product_id": lot.product_id, "product_name": lot.product.name,
            "site_id": lot.site_id, "unit": unit, "quantity": from_base(unit, lot.quantity),
            "expiry_date": lot.expiry_date, "expiry_kind": lot.expiry_kind, "storage_place": lot.storage_place,
            "source": lot.source, "donor": lot.donor, "note": lot.note, "basket_id": lot.basket_id,
            "received_at": lot.received_at,
            "expired": lot.expiry_date is not None and lot.expiry_date < today,
            "sellable": not _dlc_passed(lot, today),
            "best_before_passed": lot.expiry_kind == "ddm" and lot.expiry_date is not None
            and lot.expiry_date < today}


def _fefo_order(query):
    """First expired, first out: dated lots by expiry, undated ones last, then the oldest received."""
    return query.order_by(case((Lot.expiry_date.is_(None), 1), else_=0), Lot.expiry_date, Lot.received_at,
                          Lot.id)


def _movement(session: Session, lot: Lot, kind: str, quantity: int, by: str | None, now: datetime,
              reason: str = "", sale_id: str | None = None) -> Movement:
    movement = Movement(id=str(uuid.uuid4()), lot_id=lot.id, product_id=lot.product_id, site_id=lot.site_id,
                        kind=kind, quantity=quantity, sale_id=sale_id, reason=reason, recorded_by=by,
                        recorded_at=now)
    movement.product = lot.product
    session.add(movement)
    lot.quantity += quantity
    if lot.quantity < 0:  # guarded by the callers under a row lock; the CHECK constraint is the last line
        raise conflict("Not enough stock", "This lot does not hold that much.")
    return movement


def receive_lot(session: Session, product_id: str, quantity, source: str, by: str | None,
                expiry_kind: str = "none", expiry_date: date | None = None, storage_place: str = "",
                donor: str | None = None, note: str = "", basket_id: str | None = None,
                now: datetime | None = None) -> Lot:
    product = get_product(session, product_id)
    site = session.get(Site, product.site_id)
    now = now or utcnow()
    if expiry_kind in ("dlc", "ddm") and expiry_date is None:
        raise invalid("expiry_date", f"a {expiry_kind.upper()} lot needs its expiry date")
    if expiry_kind == "none" and expiry_date is not None:
        raise invalid("expiry_kind", "say whether the date is a use-by (dlc) or best-before (ddm) date")
    if expiry_kind == "dlc" and expiry_date < site_today(site, now):
        raise invalid("expiry_date", "this use-by date has passed: the lot cannot be taken into stock")
    if source == "donation" and not donor:
        raise invalid("donor", "a donation records its donor")
    lot = Lot(id=str(uuid.uuid4()), product_id=product.id, site_id=product.site_id, quantity=0,
              expiry_date=expiry_date, expiry_kind=expiry_kind, storage_place=storage_place, source=source,
              donor=donor, note=note, basket_id=basket_id, received_at=now)
    lot.product = product
    session.add(lot)
    session.flush()
    _movement(session, lot, source, to_base(product.unit, quantity), by, now)
    session.flush()
    return lot


def _lock_lot(session: Session, lot_id: str) -> Lot:
    lot = session.scalars(select(Lot).where(Lot.id == lot_id).with_for_update(of=Lot)
                          .execution_options(populate_existing=True)).first()
    if lot is None:
        raise not_found("Lot")
    return lot


def get_lot(session: Session, lot_id: str) -> Lot:
    return get_or_not_found(session, Lot, lot_id, "Lot")


def list_lots(session: Session, site: str, product_id: str | None = None,
              include_empty: bool = False) -> list[Lot]:
    found = find_site(session, site)
    query = select(Lot).where(Lot.site_id == found.id)
    if product_id:
        query = query.where(Lot.product_id == product_id)
    if not include_empty:
        query = query.where(Lot.quantity > 0)
    return list(session.scalars(_fefo_order(query)))


def list_movements(session: Session, lot_id: str) -> list[Movement]:
    get_lot(session, lot_id)
    return list(session.scalars(select(Movement).where(Movement.lot_id == lot_id)
                                .order_by(Movement.recorded_at, Movement.id)))


def record_stock_change(session: Session, lot_id: str, kind: str, by: str | None, quantity=None,
                        counted=None, reason: str = "", now: datetime | None = None) -> Movement:
    """A loss or expiry write-off takes `quantity` out; an inventory correction sets the lot to `counted`."""
    lot = _lock_lot(session, lot_id)
    unit = lot.product.unit
    now = now or utcnow()
    before = product_stock(session, lot.product_id)
    if kind in REMOVALS:
        if quantity is None:
            raise invalid("quantity", f"say how much is taken out by this {kind.replace('_', ' ')}")
        delta = -to_base(unit, quantity)
        if lot.quantity + delta < 0:
            raise conflict("Not enough stock", f"This lot holds only {from_base(unit, lot.quantity)} {unit}.",
                           available=from_base(unit, lot.quantity))
    else:
        if counted is None:
            raise invalid("counted", "an inventory correction gives the quantity counted on the shelf")
        delta = to_base(unit, counted, "counted", allow_zero=True) - lot.quantity
        if delta == 0:
            raise invalid("counted", "the count matches the stock: there is nothing to correct")
    movement = _movement(session, lot, kind, delta, by, now, reason)
    session.flush()
    _signal_low_stock(session, lot.product, before, product_stock(session, lot.product_id))
    return movement


def _signal_low_stock(session: Session, product: Product, before: int, after: int) -> None:
    threshold = product.low_stock_threshold
    if threshold > 0 and before >= threshold > after:
        record_event(session, events.SOURCE, events.STOCK_LOW, {
            "product_id": product.id, "site_id": product.site_id, "unit": product.unit,
            "quantity": from_base(product.unit, after),
            "threshold": from_base(product.unit, threshold)}, subject=product.id)


def near_expiry(session: Session, site: str, days: int = 3, now: datetime | None = None) -> list[dict]:
    """Lots in stock that expire within `days` days, expired ones included, for the volunteers."""
    found = find_site(session, site)
    today = site_today(found, now)
    lots = session.scalars(_fefo_order(select(Lot).where(
        Lot.site_id == found.id, Lot.quantity > 0, Lot.expiry_date.is_not(None),
        Lot.expiry_date <= today + timedelta(days=days)))).all()
    return [lot_view(lot, today) for lot in lots]


def daily_check(session: Session, site: str, days: int = 2, now: datetime | None = None) -> dict:
    """Expire households whose period ended, and announce once each lot that is about to expire."""
    found = find_site(session, site)
    now = now or utcnow()
    expired = expire_households(session, found, now)
    today = site_today(found, now)
    lots = list(session.scalars(select(Lot).where(
        Lot.site_id == found.id, Lot.quantity > 0, Lot.expiry_date.is_not(None),
        Lot.expiry_date <= today + timedelta(days=days), Lot.expiring_notified_at.is_(None))
        .with_for_update(of=Lot)))
    for lot in lots:
        lot.expiring_notified_at = now
        record_event(session, events.SOURCE, events.LOT_EXPIRING, {
            "lot_id": lot.id, "product_id": lot.product_id, "site_id": lot.site_id,
            "expiry_date": lot.expiry_date.isoformat(), "expiry_kind": lot.expiry_kind,
            "unit": lot.product.unit, "quantity": from_base(lot.product.unit, lot.quantity)}, subject=lot.id)
    session.flush()
    return {"site_id": found.id, "expired_households": len(expired), "expiring_lots": len(lots)}


# -- checkout ----------------------------------------------------------------------------------

def _fingerprint(request: dict) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def find_sale_by_key(session: Session, idempotency_key: str) -> Sale | None:
    return session.scalars(select(Sale).where(Sale.idempotency_key == idempotency_key)).first()


def _replay(sale: Sale, fingerprint: str) -> Sale:
    if sale.request_fingerprint != fingerprint:
        raise Problem(422, "Idempotency key reused", "This Idempotency-Key was used for another sale; "
                      "use a new key for a new sale.", slug="idempotency-key-reused",
                      errors={"Idempotency-Key": ["already used for a different sale"]}, sale_id=sale.id)
    return sale


def get_sale(session: Session, sale_id: str) -> Sale:
    return get_or_not_found(session, Sale, sale_id, "Sale")


def _allocate(session: Session, product: Product, quantity: int, lot_id: str | None, today: date,
              field: str) -> list[tuple[Lot, int]]:
    """Lots to take `quantity` from, locked: the given lot, or the ones that expire first (FEFO)."""
    unit = product.unit
    if lot_id:
        lot_field = field.replace("quantity", "lot_id")
        try:
            lot = _lock_lot(session, lot_id)
        except Problem:
            raise invalid(lot_field, "no such lot") from None
        if lot.product_id != product.id:
            raise invalid(lot_field, "this lot holds another product")
        if _dlc_passed(lot, today):
            raise Problem(422, "Expired lot", f"This lot's use-by date (DLC) was {lot.expiry_date.isoformat()}: "
                          "it can never be sold; write it off.", slug="expired-lot",
                          errors={lot_field: ["use-by date passed"]}, lot_id=lot.id)
        candidates = [lot]
    else:
        candidates = list(session.scalars(_fefo_order(select(Lot).where(
            Lot.product_id == product.id, Lot.quantity > 0,
            or_(Lot.expiry_kind != "dlc", Lot.expiry_date >= today)))
            .with_for_update(of=Lot).execution_options(populate_existing=True)))
    available = sum(lot.quantity for lot in candidates)
    if available < quantity:
        raise conflict("Not enough stock", f"{product.name}: only {from_base(unit, available)} {unit} "
                       "can be sold now.", product_id=product.id, available=from_base(unit, available),
                       unit=unit)
    taken, left = [], quantity
    for lot in candidates:
        if left == 0:
            break
        take = min(left, lot.quantity)
        if take:
            taken.append((lot, take))
            left -= take
    return taken


def _check_product_limit(session: Session, household: Household, product: Product, month: str,
                         quantity: int) -> None:
    bought = int(session.scalar(select(func.coalesce(func.sum(SaleLine.quantity), 0))
                                .join(Sale, Sale.id == SaleLine.sale_id).where(
        Sale.household_id == household.id, Sale.month == month, SaleLine.product_id == product.id,
        SaleLine.kind == "goods")) or 0)
    remaining = max(product.monthly_limit - bought, 0)
    if quantity > remaining:
        unit = product.unit
        raise Problem(409, "Over the product limit", f"{product.name} is limited to "
                      f"{from_base(unit, product.monthly_limit)} {unit} per household a month; "
                      f"{from_base(unit, remaining)} {unit} remain.", slug="over-product-limit",
                      product_id=product.id, unit=unit, remaining_quantity=from_base(unit, remaining),
                      monthly_limit=from_base(unit, product.monthly_limit))


def sell(session: Session, site: str, kind: str, lines: list[dict], payment_method: str, by: str | None,
         card_number: str | None = None, deposit_returns: list[dict] = (), idempotency_key: str | None = None,
         now: datetime | None = None) -> tuple[Sale, bool]:
    """Sell at solidarity prices to a household (within its monthly budget) or at normal price in the shop.

    Returns the sale and whether it was made now (False: the same Idempotency-Key was already sold).
    """
    fingerprint = _fingerprint({"site": site, "kind": kind, "lines": lines, "payment_method": payment_method,
                                "card_number": card_number, "deposit_returns": list(deposit_returns)})
    if idempotency_key:
        existing = find_sale_by_key(session, idempotency_key)
        if existing is not None:
            return _replay(existing, fingerprint), False
    found = find_site(session, site)
    now = now or utcnow()
    today, month = site_today(found, now), site_month(found, now)
    if not lines and not deposit_returns:
        raise invalid("lines", "a sale has at least one product or one deposit return")
    if kind == "solidarity" and not card_number:
        raise invalid("card_number", "a solidarity sale is made with the household's card number")
    if kind == "shop" and card_number:
        raise invalid("card_number", "a shop sale is at normal price and needs no card")

    sale = Sale(id=str(uuid.uuid4()), site_id=found.id, kind=kind, month=month, payment_method=payment_method,
                goods_cents=0, deposit_cents=0, deposit_returned_cents=0, amount_due_cents=0,
                idempotency_key=idempotency_key, request_fingerprint=fingerprint, sold_by=by, sold_at=now)
    session.add(sale)
    # Written first: a concurrent double click with the same key waits here on the unique key.
    session.flush()

    household, rules = None, None
    if kind == "solidarity":
        household = _household_by_card(session, card_number, lock=True)
        if household.site_id != found.id:
            raise invalid("card_number", "this card belongs to another site's grocery")
        if not _is_eligible(household, today):
            until = household.eligible_until.isoformat() if household.eligible_until else None
            raise Problem(409, "Not eligible", "This card's access period is over or was not granted"
                          + (f" (eligible until {until})" if until else "") + ": the referrer can renew it.",
                          slug="not-eligible", eligible_until=until, card_number=household.card_number)
        rules = _rules_of(session, found)
        sale.household_id, sale.currency = household.id, rules.currency
    elif (own := session.get(GroceryRules, found.id)) is not None:
        sale.currency = own.currency

    # Merge repeated products, then lock lots product by product in one order to avoid deadlocks.
    wanted: dict[tuple[str, str | None], dict] = {}
    products: dict[str, Product] = {}
    for index, line in enumerate(lines):
        field = f"lines.{index}.quantity"
        product = session.get(Product, line["product_id"])
        if product is None or product.site_id != found.id:
            raise invalid(f"lines.{index}.product_id", "no such product in this site's grocery")
        products[product.id] = product
        entry = wanted.setdefault((product.id, line.get("lot_id")), {"quantity": 0, "field": field})
        entry["quantity"] += to_base(product.unit, line["quantity"], field)

    position, goods, deposits = 0, 0, 0
    allocations, limits_checked = [], set()
    for (product_id, lot_id), entry in sorted(wanted.items(), key=lambda item: (item[0][0], item[0][1] or "")):
        product, quantity = products[product_id], entry["quantity"]
        percentage = 100
        if kind == "solidarity":
            if product.tier is None or product.tier not in rules.tier_percentages:
                raise invalid(entry["field"].replace("quantity", "product_id"),
                              f"{product.name} is sold in the shop only, not at solidarity price")
            percentage = int(rules.tier_percentages[product.tier])
            if product.monthly_limit is not None and product.id not in limits_checked:
                limits_checked.add(product.id)
                _check_product_limit(session, household, product, month,
                                     sum(e["quantity"] for (pid, _), e in wanted.items() if pid == product.id))
        scale = UNIT_SCALE[product.unit]
        amount = _round_div(product.retail_price_cents * quantity * percentage, scale * 100)
        deposit = product.deposit_cents * quantity // scale
        taken = _allocate(session, product, quantity, lot_id, today, entry["field"])
        allocations.append((product, quantity, taken))
        sale.lines.append(SaleLine(
            id=str(uuid.uuid4()), position=position, product=product, kind="goods", quantity=quantity,
            unit_price_cents=product.retail_price_cents, percentage=percentage, amount_cents=amount,
            deposit_cents=deposit, lots=[{"lot_id": lot.id, "quantity": take,
                                          "best_before_passed": lot.expiry_kind == "ddm"
                                          and lot.expiry_date is not None and lot.expiry_date < today}
                                         for lot, take in taken]))
        position += 1
        goods += amount
        deposits += deposit

    returned = 0
    for index, item in enumerate(deposit_returns):
        product = session.get(Product, item["product_id"])
        if product is None or product.site_id != found.id:
            raise invalid(f"deposit_returns.{index}.product_id", "no such product in this site's grocery")
        if not product.deposit_cents:
            raise invalid(f"deposit_returns.{index}.product_id", f"{product.name} has no deposit to return")
        count = to_base(product.unit, item["quantity"], f"deposit_returns.{index}.quantity")
        refund = product.deposit_cents * count
        sale.lines.append(SaleLine(
            id=str(uuid.uuid4()), position=position, product=product, kind="deposit_return", quantity=count,
            unit_price_cents=0, percentage=0, amount_cents=0, deposit_cents=-refund, lots=[]))
        position += 1
        returned += refund

    if household is not None:
        remaining = household.monthly_cap_cents - _spent_this_month(session, household, month)
        if goods > remaining:
            raise Problem(409, "Over the monthly budget", f"This sale comes to {goods} cents at solidarity "
                          f"prices; {max(remaining, 0)} cents remain this month.", slug="over-monthly-budget",
                          remaining_cents=max(remaining, 0), requested_cents=goods, currency=sale.currency)

    if max(goods, deposits, returned) > MAX_SALE_CENTS:
        raise invalid("lines", f"a sale is at most {MAX_SALE_CENTS} cents: split it")
    sale.goods_cents, sale.deposit_cents, sale.deposit_returned_cents = goods, deposits, returned
    sale.amount_due_cents = goods + deposits - returned
    for product, quantity, taken in allocations:
        before = product_stock(session, product.id)
        for lot, take in taken:
            _movement(session, lot, "sale", -take, by, now, sale_id=sale.id)
        session.flush()
        _signal_low_stock(session, product, before, before - quantity)
    session.flush()
    record_event(session, events.SOURCE, events.SALE_COMPLETED, sale_event_data(sale), subject=sale.id)
    return sale, True


def with_receipt(session: Session, sale: Sale) -> Sale:
    """Add what the till shows after a solidarity sale: the card and the budget left this month."""
    sale.card_number, sale.budget_left_cents = None, None
    if sale.household_id:
        household = session.get(Household, sale.household_id)
        sale.card_number = household.card_number
        sale.budget_left_cents = max(household.monthly_cap_cents
                                     - _spent_this_month(session, household, sale.month), 0)
    return sale


def sale_event_data(sale: Sale) -> dict:
    return {
        "sale_id": sale.id, "site_id": sale.site_id, "kind": sale.kind, "payment_method": sale.payment_method,
        "currency": sale.currency, "goods_cents": sale.goods_cents, "deposit_cents": sale.deposit_cents,
        "deposit_returned_cents": sale.deposit_returned_cents, "amount_due_cents": sale.amount_due_cents,
        "lines": [{"product_id": line.product_id, "kind": line.kind, "unit": line.product.unit,
                   "quantity": from_base(line.product.unit, line.quantity), "percentage": line.percentage,
                   "amount_cents": line.amount_cents, "deposit_cents": line.deposit_cents}
                  for line in sale.lines],
    }


# -- consumed events ---------------------------------------------------------------------------

# The donated product's name, from the code of what an unclaimed AMAP basket holds.
BASKET_NAMES = {
    "vegetables": "Panier AMAP de légumes",
    "fruit": "Panier AMAP de fruits",
    "vegetables_and_fruit": "Panier AMAP de fruits et légumes",
    "eggs": "Œufs de l'AMAP",
    "dairy": "Produits laitiers de l'AMAP",
    "bread": "Pain de l'AMAP",
    "meat": "Viande de l'AMAP",
    "mixed": "Panier AMAP",
}


def take_unclaimed_basket(session: Session, data: dict) -> Lot | None:
    """An AMAP basket nobody collected becomes a donated lot; the same basket twice adds nothing."""
    if session.scalars(select(Lot.id).where(Lot.basket_id == data["basket_id"])).first() is not None:
        return None
    site = session.get(Site, data["site_id"])
    if site is None:
        return None
    category = data["category"] if data["category"] in BASKET_NAMES else "mixed"
    key = f"amap-basket:{category}"
    product = session.scalars(select(Product).where(Product.site_id == site.id,
                                                    Product.external_key == key)).first()
    if product is None:
        # A gift priced at zero until an admin sets a price and a tier.
        product = create_product(session, site.id, BASKET_NAMES[category], "amap", "piece", 0, external_key=key)
    now = utcnow()
    expiry = data["distribution_date"] + timedelta(days=2)
    lot = Lot(id=str(uuid.uuid4()), product_id=product.id, site_id=site.id, quantity=0, expiry_date=expiry,
              expiry_kind="dlc", storage_place="", source="donation", donor="AMAP",
              note="", basket_id=data["basket_id"], received_at=now)
    lot.product = product
    session.add(lot)
    session.flush()
    _movement(session, lot, "donation", data["quantity"], None, now,
              reason=f"relay distribution {data['distribution_id']}")
    session.flush()
    return lot


def forget_account(session: Session, account_id: str) -> None:
    """An erased account is no longer named as anyone's referrer or decider."""
    session.execute(update(Household).where(Household.referrer_account_id == account_id)
                    .values(referrer_account_id=None))
    session.execute(update(Household).where(Household.decided_by == account_id).values(decided_by=None))
    session.execute(update(HouseholdDecision).where(HouseholdDecision.decided_by == account_id)
                    .values(decided_by=None))
    session.execute(update(Sale).where(Sale.sold_by == account_id).values(sold_by=None))
    session.execute(update(Movement).where(Movement.recorded_by == account_id).values(recorded_by=None))
    session.execute(update(GroceryRules).where(GroceryRules.updated_by == account_id).values(updated_by=None))


# -- monthly report ----------------------------------------------------------------------------

def monthly_report(session: Session, site: str, month: str) -> dict:
    found = find_site(session, site)
    year, number = (int(part) for part in month.split("-"))
    zone = ZoneInfo(found.timezone or "Europe/Paris")
    start = datetime(year, number, 1, tzinfo=zone)
    end = datetime(year + (number == 12), number % 12 + 1, 1, tzinfo=zone)
    report: dict = {"site_id": found.id, "month": month, "currency": "EUR"}
    rules = session.get(GroceryRules, found.id)
    if rules:
        report["currency"] = rules.currency
    for kind in ("solidarity", "shop"):
        row = session.execute(select(
            func.count(Sale.id), func.coalesce(func.sum(Sale.goods_cents), 0),
            func.coalesce(func.sum(Sale.deposit_cents), 0), func.coalesce(func.sum(Sale.deposit_returned_cents), 0),
            func.coalesce(func.sum(Sale.amount_due_cents), 0))
            .where(Sale.site_id == found.id, Sale.month == month, Sale.kind == kind)).one()
        report[f"{kind}_sales"] = {"count": row[0], "goods_cents": int(row[1]), "deposit_cents": int(row[2]),
                                   "deposit_returned_cents": int(row[3]), "amount_due_cents": int(row[4])}
    report["households_served"] = int(session.scalar(select(func.count(func.distinct(Sale.household_id))).where(
        Sale.site_id == found.id, Sale.month == month, Sale.household_id.is_not(None))) or 0)
    report["payment_methods"] = {method: int(total) for method, total in session.execute(
        select(Sale.payment_method, func.sum(Sale.amount_due_cents)).where(
            Sale.site_id == found.id, Sale.month == month).group_by(Sale.payment_method).order_by(
            Sale.payment_method))}
    movements = session.execute(
        select(Movement.kind, Product.id, Product.name, Product.unit, Product.retail_price_cents,
               func.count(Movement.id), func.sum(Movement.quantity))
        .join(Product, Product.id == Movement.product_id)
        .where(Movement.site_id == found.id, Movement.recorded_at >= start, Movement.recorded_at < end,
               Movement.kind.in_(("donation", "loss", "expiry_write_off")))
        .group_by(Movement.kind, Product.id, Product.name, Product.unit, Product.retail_price_cents)
        .order_by(Movement.kind, Product.name)).all()
    report["donations"], report["write_offs"] = [], []
    for kind, product_id, name, unit, price, count, total in movements:
        quantity = abs(int(total))
        entry = {"product_id": product_id, "product_name": name, "unit": unit,
                 "quantity": from_base(unit, quantity), "movements": count,
                 "retail_value_cents": _round_div(price * quantity, UNIT_SCALE[unit])}
        if kind == "donation":
            report["donations"].append(entry)
        else:
            report["write_offs"].append({"kind": kind, **entry})
    return report


def report_csv(report: dict) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "item", "unit", "quantity", "count", "cents"])
    for kind in ("solidarity", "shop"):
        sales = report[f"{kind}_sales"]
        for key in ("goods_cents", "deposit_cents", "deposit_returned_cents", "amount_due_cents"):
            writer.writerow([f"{kind}_sales", key.removesuffix("_cents"), report["currency"], "", sales["count"],
                             sales[key]])
    writer.writerow(["households_served", "households", "", "", report["households_served"], ""])
    for method, cents in report["payment_methods"].items():
        writer.writerow(["payment_methods", method, report["currency"], "", "", cents])
    for entry in report["donations"]:
        writer.writerow(["donations", entry["product_name"], entry["unit"], entry["quantity"], entry["movements"],
                         entry["retail_value_cents"]])
    for entry in report["write_offs"]:
        writer.writerow([entry["kind"], entry["product_name"], entry["unit"], entry["quantity"],
                         entry["movements"], entry["retail_value_cents"]])
    return out.getvalue()
