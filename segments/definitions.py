"""Segments the merchant defines: create, change, delete, list, and preview (live count and sample)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from app.db import UnitOfWork, utcnow
from app.errors import Conflict, InvalidInput, NotFound
from crm.models import CrmCompany, CrmCustomer
from pricing.models import PriceList
from segments import rules
from segments.models import Segment, Subject
from segments.segment_sql import members_query

NAME_CHARS = 255
SAMPLE_SIZE = 10


@dataclass(frozen=True)
class Preview:
    """How many would match now, and a few of them."""

    count: int
    sample: list[dict[str, Any]]


def _subject(value: Any) -> Subject:
    try:
        return Subject(value)
    except ValueError:
        raise InvalidInput(f"subject must be 'customer' or 'company', not {value!r}") from None


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("A segment needs a name")
    if len(value.strip()) > NAME_CHARS:
        raise InvalidInput(f"A segment name has at most {NAME_CHARS} characters")
    return value.strip()


def _tag(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value.strip()) > 40 or "," in value:
        raise InvalidInput("The Shopify tag must be text of at most 40 characters without commas")
    return value.strip()


def check_definition(uow: UnitOfWork, *, shop_id: int, subject: Subject, definition: Any) -> rules.Group:
    """Parse the definition; ids it names must be this shop's (another shop's is NotFound)."""
    group = rules.parse_definition(definition, subject)
    companies = rules.company_ids(group)
    if companies:
        found = set(
            uow.session.scalars(
                select(CrmCompany.id).where(CrmCompany.shop_id == shop_id, CrmCompany.id.in_(companies))
            )
        )
        if missing := sorted(companies - found):
            raise NotFound(f"company {missing[0]} not found")
    lists = rules.price_list_ids(group)
    if lists:
        found = set(
            uow.session.scalars(
                select(PriceList.id).where(PriceList.shop_id == shop_id, PriceList.id.in_(lists))
            )
        )
        if missing := sorted(lists - found):
            raise NotFound(f"price list {missing[0]} not found")
    return group


def get_segment(uow: UnitOfWork, *, shop_id: int, segment_id: int) -> Segment:
    segment = uow.session.get(Segment, segment_id)
    if segment is None or segment.shop_id != shop_id:
        raise NotFound(f"segment {segment_id} not found")
    return segment


def list_segments(uow: UnitOfWork, *, shop_id: int) -> list[Segment]:
    return list(uow.session.scalars(select(Segment).where(Segment.shop_id == shop_id).order_by(Segment.name)))


def _unique_name(uow: UnitOfWork, shop_id: int, name: str, exclude: int | None = None) -> None:
    query = select(Segment.id).where(Segment.shop_id == shop_id, func.lower(Segment.name) == name.lower())
    if exclude is not None:
        query = query.where(Segment.id != exclude)
    if uow.session.scalars(query).first() is not None:
        raise Conflict(f"A segment named {name!r} already exists")


def create_segment(
    uow: UnitOfWork,
    *,
    shop_id: int,
    name: Any,
    subject: Any,
    definition: Any,
    description: str | None = None,
    shopify_tag: Any = None,
) -> Segment:
    """A new segment (materialised by the next run; `membership.materialise` does it now)."""
    kind = _subject(subject)
    clean = _name(name)
    check_definition(uow, shop_id=shop_id, subject=kind, definition=definition)
    tag = _tag(shopify_tag)
    if tag and kind is not Subject.CUSTOMER:
        raise InvalidInput("Only customer segments can be pushed to Shopify as customer tags")
    _unique_name(uow, shop_id, clean)
    segment = Segment(
        shop_id=shop_id,
        name=clean,
        subject=kind,
        definition=definition,
        description=(description or "").strip() or None,
        shopify_tag=tag,
    )
    uow.session.add(segment)
    uow.session.flush()
    return segment


_UNSET: Any = object()


def update_segment(
    uow: UnitOfWork,
    *,
    shop_id: int,
    segment_id: int,
    name: Any = _UNSET,
    definition: Any = _UNSET,
    description: Any = _UNSET,
    shopify_tag: Any = _UNSET,
) -> Segment:
    """Change what is given; a new definition takes effect at the next materialisation."""
    segment = get_segment(uow, shop_id=shop_id, segment_id=segment_id)
    if name is not _UNSET:
        clean = _name(name)
        _unique_name(uow, shop_id, clean, exclude=segment.id)
        segment.name = clean
    if definition is not _UNSET:
        check_definition(uow, shop_id=shop_id, subject=segment.subject, definition=definition)
        segment.definition = definition
    if description is not _UNSET:
        segment.description = (description or "").strip() or None
    if shopify_tag is not _UNSET:
        tag = _tag(shopify_tag)
        if tag and segment.subject is not Subject.CUSTOMER:
            raise InvalidInput("Only customer segments can be pushed to Shopify as customer tags")
        segment.shopify_tag = tag
    uow.session.flush()
    return segment


def delete_segment(uow: UnitOfWork, *, shop_id: int, segment_id: int) -> None:
    uow.session.delete(get_segment(uow, shop_id=shop_id, segment_id=segment_id))
    uow.session.flush()


def preview(
    uow: UnitOfWork, *, shop_id: int, subject: Any, definition: Any, now: datetime | None = None
) -> Preview:
    """The live count and a sample of who would match, before saving."""
    kind = _subject(subject)
    group = check_definition(uow, shop_id=shop_id, subject=kind, definition=definition)
    ids = members_query(kind, group, shop_id=shop_id, now=now or utcnow()).subquery()
    count = int(uow.session.scalar(select(func.count()).select_from(ids)) or 0)
    if kind is Subject.CUSTOMER:
        rows = uow.session.execute(
            select(CrmCustomer.id, CrmCustomer.first_name, CrmCustomer.last_name, CrmCustomer.email)
            .where(CrmCustomer.id.in_(select(ids.c.subject_id)))
            .order_by(CrmCustomer.total_spent.desc(), CrmCustomer.id)
            .limit(SAMPLE_SIZE)
        )
        sample = [
            {
                "id": r.id,
                "name": " ".join(filter(None, (r.first_name, r.last_name))) or r.email,
                "email": r.email,
            }
            for r in rows
        ]
    else:
        rows = uow.session.execute(
            select(CrmCompany.id, CrmCompany.name)
            .where(CrmCompany.id.in_(select(ids.c.subject_id)))
            .order_by(CrmCompany.total_spent.desc(), CrmCompany.id)
            .limit(SAMPLE_SIZE)
        )
        sample = [{"id": r.id, "name": r.name} for r in rows]
    return Preview(count=count, sample=sample)
