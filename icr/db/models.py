"""SQLAlchemy models. Amounts are NUMERIC, dates DATE; Alembic migrations in ``migrations/`` follow these."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

AMOUNT = Numeric(14, 2)
QUANTITY = Numeric(14, 3)
NUMBER = Numeric(20, 6)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False, index=True)
    """The file stem, used as the record id in exports."""
    doc_type: Mapped[str | None] = mapped_column(String(64))
    template: Mapped[str | None] = mapped_column(String(255))
    template_score: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    error: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    ocr_engine: Mapped[str | None] = mapped_column(String(64))
    ocr_confidence: Mapped[float | None] = mapped_column(Float)
    ocr_text: Mapped[str | None] = mapped_column(Text)
    corrected_text: Mapped[str | None] = mapped_column(Text)
    needs_review: Mapped[bool] = mapped_column(nullable=False, default=False)
    review_reasons: Mapped[str | None] = mapped_column(Text)
    consolidated: Mapped[bool] = mapped_column(nullable=False, default=False, server_default=false())
    """Whether vendor consolidation has looked at this document since it was (re)stored."""
    timings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Seconds per stage and per image-corrector step."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    fields: Mapped[list[Field]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="Field.id"
    )
    line_items: Mapped[list[LineItemRow]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="LineItemRow.position"
    )
    pairs: Mapped[list[FormPairRow]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="FormPairRow.position"
    )


class Field(Base):
    __tablename__ = "fields"
    # (name, amount): the documents printing a total, found without a scan (icr/duplicates.py)
    __table_args__ = (UniqueConstraint("document_id", "name"), Index("ix_fields_name_amount", "name", "amount"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), nullable=False)
    name: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    value: Mapped[str | None] = mapped_column(Text)
    """The normalized value as text (ISO date, decimal string, ...)."""
    amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    date_value: Mapped[dt.date | None] = mapped_column(Date)
    raw: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str | None] = mapped_column(String(32))
    page: Mapped[int | None] = mapped_column(Integer)
    """The page the value was read on (1-based), when it was located."""
    box: Mapped[list[int] | None] = mapped_column(JSON)
    """[left, top, right, bottom] around the words it was read from, on that page as read."""
    margin: Mapped[float | None] = mapped_column(Float)
    """How far the value led its best rival in the extractor's scoring (what the calibration weighs)."""
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    """When a person confirmed or corrected it (source "review"): ingest never overwrites it then."""
    reviewed_by: Mapped[str | None] = mapped_column(String(64))

    document: Mapped[Document] = relationship(back_populates="fields")


class Correction(Base):
    """A value a person changed: the machine's value is kept here, the field holds the new one."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), nullable=False, index=True)
    field: Mapped[str] = mapped_column(String(64), nullable=False)
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    corrected_by: Mapped[str] = mapped_column(String(64), nullable=False)
    corrected_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class LineItemRow(Base):
    __tablename__ = "line_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    quantity: Mapped[Decimal | None] = mapped_column(QUANTITY)
    unit_price: Mapped[Decimal | None] = mapped_column(AMOUNT)
    amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    raw: Mapped[str | None] = mapped_column(Text)

    document: Mapped[Document] = relationship(back_populates="line_items")


class FormPairRow(Base):
    """A form's key/value pair (``kind`` text, number, date, amount, signature, ...) or tick box
    (``kind`` checkbox: ``value`` ticked / unticked / unsure, ``checked`` true / false / null).
    The typed columns are set where a zone declares the type."""

    __tablename__ = "form_pairs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    key: Mapped[str] = mapped_column(Text, nullable=False)
    value: Mapped[str | None] = mapped_column(Text)
    number: Mapped[Decimal | None] = mapped_column(NUMBER)
    amount: Mapped[Decimal | None] = mapped_column(AMOUNT)
    date_value: Mapped[dt.date | None] = mapped_column(Date)
    checked: Mapped[bool | None] = mapped_column(Boolean)
    confidence: Mapped[float | None] = mapped_column(Float)
    page: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    key_box: Mapped[list[int] | None] = mapped_column(JSON)
    value_box: Mapped[list[int] | None] = mapped_column(JSON)
    engine: Mapped[str | None] = mapped_column(String(32))
    """What read the value: the page's recognizer, or htr for handwriting it read."""

    document: Mapped[Document] = relationship(back_populates="pairs")
