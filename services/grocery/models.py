"""Tables of the grocery service."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import UTCDateTime
from shared.sites import SiteReplica

# Quantities are stored as whole numbers of the unit's smallest part: pieces, grams, millilitres.
UNIT_SCALE = {"piece": 1, "kg": 1000, "l": 1000}


class Base(DeclarativeBase):
    pass


class Site(SiteReplica, Base):
    __tablename__ = "sites"


class GroceryRules(Base):
    """What a site decided: who is eligible, for how long, how much a month, at which prices."""

    __tablename__ = "grocery_rules"

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    # Eligible when the "reste à vivre" (cents per person per day) is strictly under this.
    threshold_cents_per_day: Mapped[int] = mapped_column(Integer)
    access_months: Mapped[int] = mapped_column(Integer)
    # Monthly cap in cents for a household of 1, 2, ... people; the last one covers bigger households.
    monthly_caps_cents: Mapped[list] = mapped_column(JSON)
    # Tier name -> percentage of the retail price paid by a household, e.g. {"1": 10, "2": 20, "3": 30}.
    tier_percentages: Mapped[dict] = mapped_column(JSON)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    updated_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    def cap_for(self, household_size: int) -> int:
        caps = self.monthly_caps_cents
        return int(caps[min(household_size, len(caps)) - 1])


class Household(Base):
    """A referred household, known at the till by its card number only."""

    __tablename__ = "households"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    card_number: Mapped[str] = mapped_column(String(20), unique=True)
    referrer_account_id: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    referrer_organisation: Mapped[str] = mapped_column(String(200))
    household_size: Mapped[int] = mapped_column(Integer)
    monthly_resources_cents: Mapped[int] = mapped_column(Integer)
    fixed_charges_cents: Mapped[int] = mapped_column(Integer)
    reste_a_vivre_cents_per_day: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # eligible | ineligible | expired | ended
    eligible_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    monthly_cap_cents: Mapped[int] = mapped_column(Integer, default=0)
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    decisions: Mapped[list["HouseholdDecision"]] = relationship(
        order_by="HouseholdDecision.decided_at", cascade="all, delete-orphan", lazy="selectin")


class HouseholdDecision(Base):
    """Every judgement of a household by the rule, with who decided and when."""

    __tablename__ = "household_decisions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("households.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))  # registered | renewed | expired
    outcome: Mapped[str] = mapped_column(String(20))  # eligible | ineligible | expired | ended
    reste_a_vivre_cents_per_day: Mapped[int] = mapped_column(Integer)
    threshold_cents_per_day: Mapped[int] = mapped_column(Integer)
    monthly_cap_cents: Mapped[int] = mapped_column(Integer)
    eligible_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(10))
    retail_price_cents: Mapped[int] = mapped_column(Integer)
    # None: not part of the solidarity offer (shop only).
    tier: Mapped[str | None] = mapped_column(String(20), nullable=True)
    local: Mapped[bool] = mapped_column(Boolean, default=False)
    deposit_cents: Mapped[int] = mapped_column(Integer, default=0)
    monthly_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)  # in base units
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=0)  # in base units
    # Set for the products the service makes itself, e.g. "amap-basket:<kind>".
    external_key: Mapped[str | None] = mapped_column(String(120), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (UniqueConstraint("site_id", "external_key", name="uq_products_site_external_key"),)


class Lot(Base):
    """A batch of one product; its quantity is the sum of its movements and never negative."""

    __tablename__ = "lots"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    expiry_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    expiry_kind: Mapped[str] = mapped_column(String(10))  # dlc | ddm | none
    storage_place: Mapped[str] = mapped_column(String(80), default="")
    source: Mapped[str] = mapped_column(String(20))  # purchase | donation
    donor: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    basket_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    expiring_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())

    product: Mapped[Product] = relationship(lazy="joined")

    __table_args__ = (CheckConstraint("quantity >= 0", name="ck_lots_quantity_not_negative"),)


class Movement(Base):
    __tablename__ = "stock_movements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    lot_id: Mapped[str] = mapped_column(ForeignKey("lots.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    # purchase | donation | sale | loss | expiry_write_off | inventory_correction
    kind: Mapped[str] = mapped_column(String(30))
    quantity: Mapped[int] = mapped_column(Integer)  # signed, base units
    sale_id: Mapped[str | None] = mapped_column(ForeignKey("sales.id"), nullable=True, index=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    product: Mapped[Product] = relationship(lazy="joined")

    __table_args__ = (Index("ix_stock_movements_site_kind_time", "site_id", "kind", "recorded_at"),)


class Sale(Base):
    __tablename__ = "sales"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # solidarity | shop
    household_id: Mapped[str | None] = mapped_column(ForeignKey("households.id"), nullable=True, index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM in the site's time zone
    payment_method: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    goods_cents: Mapped[int] = mapped_column(Integer)
    deposit_cents: Mapped[int] = mapped_column(Integer)
    deposit_returned_cents: Mapped[int] = mapped_column(Integer)
    amount_due_cents: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)
    request_fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sold_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    sold_at: Mapped[datetime] = mapped_column(UTCDateTime())

    lines: Mapped[list["SaleLine"]] = relationship(order_by="SaleLine.position", cascade="all, delete-orphan",
                                                   lazy="selectin")

    __table_args__ = (Index("ix_sales_household_month", "household_id", "month"),
                      Index("ix_sales_site_month", "site_id", "month"))


class SaleLine(Base):
    __tablename__ = "sale_lines"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sales.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # goods | deposit_return
    quantity: Mapped[int] = mapped_column(Integer)  # base units
    unit_price_cents: Mapped[int] = mapped_column(Integer)  # retail, per unit
    percentage: Mapped[int] = mapped_column(Integer)  # of retail actually paid
    amount_cents: Mapped[int] = mapped_column(Integer)
    deposit_cents: Mapped[int] = mapped_column(Integer)
    # [{"lot_id": ..., "quantity": ..., "best_before_passed": bool}]
    lots: Mapped[list] = mapped_column(JSON, default=list)

    product: Mapped[Product] = relationship(lazy="joined")
