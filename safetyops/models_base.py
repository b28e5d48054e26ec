"""Declarative base shared by every area, with a naming convention for Alembic."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as UTC; SQLite returns naive values, this makes them aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        value = value.astimezone(dt.UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={dt.datetime: UTCDateTime()},
    )


intpk = Annotated[int, mapped_column(primary_key=True)]
str50 = Annotated[str, mapped_column(sa.String(50))]
str120 = Annotated[str, mapped_column(sa.String(120))]
str255 = Annotated[str, mapped_column(sa.String(255))]


def school_fk(**kw):
    """The `school_id` column every school-owned row carries."""
    return mapped_column(sa.ForeignKey("schools.id", ondelete="CASCADE"), index=True, **kw)


def enum_column(enum_cls, **kw):
    """A StrEnum stored as its value in a VARCHAR (no native enum: migrations stay simple)."""
    return mapped_column(
        sa.Enum(enum_cls, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e],
                validate_strings=True),
        **kw,
    )
