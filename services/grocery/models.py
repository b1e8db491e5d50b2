"""Tables of the grocery service."""
from sqlalchemy.orm import DeclarativeBase

from shared.sites import SiteReplica


class Base(DeclarativeBase):
    pass


class Site(SiteReplica, Base):
    __tablename__ = "sites"
