"""Tables of the relay service: producers, contracts, subscriptions, distributions and baskets."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import UTCDateTime
from shared.sites import SiteReplica


class Base(DeclarativeBase):
    pass


class Site(SiteReplica, Base):
    __tablename__ = "sites"


class Producer(Base):
    __tablename__ = "producers"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))            # farm name
    contact: Mapped[str] = mapped_column(Text, default="")     # for the veilleurs only, never in events
    produce: Mapped[str] = mapped_column(Text, default="")     # what they grow
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Contract(Base):
    """An AMAP season with one producer at one site."""

    __tablename__ = "contracts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    producer_id: Mapped[str] = mapped_column(ForeignKey("producers.id"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    weekday: Mapped[str] = mapped_column(String(3))            # mon ... sun
    window_opens: Mapped[str] = mapped_column(String(5))       # HH:MM, site's local time
    window_closes: Mapped[str] = mapped_column(String(5))
    season_start: Mapped[date] = mapped_column(Date)
    season_end: Mapped[date] = mapped_column(Date)
    max_shares: Mapped[int | None] = mapped_column(Integer, nullable=True)
    absence_allowance: Mapped[int] = mapped_column(Integer, default=0)
    absence_cutoff_hours: Mapped[int] = mapped_column(Integer, default=48)
    absent_baskets: Mapped[str] = mapped_column(String(20), default="not_prepared")  # or "offered"
    openers_needed: Mapped[int] = mapped_column(Integer, default=1)
    distributors_needed: Mapped[int] = mapped_column(Integer, default=1)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    producer: Mapped[Producer] = relationship(lazy="joined")
    site: Mapped[Site] = relationship(lazy="joined")
    basket_kinds: Mapped[list["BasketKind"]] = relationship(
        back_populates="contract", order_by="BasketKind.position", lazy="selectin")


class BasketKind(Base):
    __tablename__ = "basket_kinds"
    __table_args__ = (UniqueConstraint("contract_id", "name", name="uq_basket_kinds_contract_name"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(40))              # e.g. small, large
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(24), default="vegetables")  # a code of BASKET_CATEGORIES
    price_cents: Mapped[int] = mapped_column(Integer)
    solidarity_price_cents: Mapped[int | None] = mapped_column(Integer, nullable=True)

    contract: Mapped[Contract] = relationship(back_populates="basket_kinds")


class Subscription(Base):
    """An account's share of a contract; a partner account may take every other week."""

    __tablename__ = "subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    basket_kind_id: Mapped[str] = mapped_column(ForeignKey("basket_kinds.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    # None once the account is erased: the share and its history stay, as counts.
    account_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    partner_account_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")          # for the sign-in sheet
    partner_display_name: Mapped[str] = mapped_column(String(120), default="")
    solidarity: Mapped[bool] = mapped_column(Boolean, default=False)
    unit_price_cents: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    basket_kind: Mapped[BasketKind] = relationship(lazy="joined")
    contract: Mapped[Contract] = relationship(lazy="joined")

    def holder_for(self, sequence: int) -> str | None:
        """Who takes the basket of the distribution number `sequence` (shared shares alternate)."""
        if self.partner_account_id is not None and sequence % 2 == 1:
            return self.partner_account_id
        return self.account_id

    def name_for(self, sequence: int) -> str:
        if self.partner_account_id is not None and sequence % 2 == 1:
            return self.partner_display_name
        return self.display_name


class Distribution(Base):
    __tablename__ = "distributions"
    __table_args__ = (UniqueConstraint("contract_id", "sequence", name="uq_distributions_contract_sequence"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)             # 0, 1, 2 ... in the season
    date: Mapped[date] = mapped_column(Date)                   # local date at the site
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    status: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled, cancelled, closed
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    unstaffed_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    contract: Mapped[Contract] = relationship(lazy="joined")
    site: Mapped[Site] = relationship(lazy="joined")


class Delivery(Base):
    """What the producer brought for one basket kind at one distribution."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("distribution_id", "basket_kind_id", name="uq_deliveries_kind"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    distribution_id: Mapped[str] = mapped_column(ForeignKey("distributions.id"), index=True)
    basket_kind_id: Mapped[str] = mapped_column(ForeignKey("basket_kinds.id"))
    expected: Mapped[int] = mapped_column(Integer)
    arrived: Mapped[int] = mapped_column(Integer)
    checked_in_by: Mapped[str] = mapped_column(String(64))
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def shortfall(self) -> int:
        return max(0, self.expected - self.arrived)


class Basket(Base):
    """One subscription's basket at one distribution, with its pickup code."""

    __tablename__ = "baskets"
    __table_args__ = (
        UniqueConstraint("distribution_id", "subscription_id", name="uq_baskets_subscription"),
        UniqueConstraint("distribution_id", "pickup_code", name="uq_baskets_pickup_code"),
        UniqueConstraint("distribution_id", "proxy_code", name="uq_baskets_proxy_code"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    distribution_id: Mapped[str] = mapped_column(ForeignKey("distributions.id"), index=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id"), index=True)
    basket_kind_id: Mapped[str] = mapped_column(ForeignKey("basket_kinds.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # expected, absent, offered (absent, given to waiting neighbours), collected, unclaimed,
    # not_delivered (the producer brought fewer), cancelled (the distribution was)
    status: Mapped[str] = mapped_column(String(20), default="expected")
    pickup_code: Mapped[str] = mapped_column(String(12))
    proxy_account_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    proxy_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    absent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    collected_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the veilleur's account
    collected_via: Mapped[str | None] = mapped_column(String(20), nullable=True)  # subscriber, proxy, code, proxy_code
    collected_quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    unclaimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    unclaimed_quantity: Mapped[int | None] = mapped_column(Integer, nullable=True)

    basket_kind: Mapped[BasketKind] = relationship(lazy="joined")
    subscription: Mapped[Subscription] = relationship(lazy="joined")
    distribution: Mapped[Distribution] = relationship(lazy="joined")


class RosterEntry(Base):
    """A volunteer signed up for one role at one distribution."""

    __tablename__ = "roster_entries"
    __table_args__ = (UniqueConstraint("distribution_id", "account_id", "role", name="uq_roster_entry"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    distribution_id: Mapped[str] = mapped_column(ForeignKey("distributions.id"), index=True)
    # None once the account is erased: the count of volunteers stays.
    account_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    role: Mapped[str] = mapped_column(String(20))              # opener, distributor
    display_name: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
