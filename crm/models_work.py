"""The CRM's own work records: staff members, notes, follow-up tasks and sales-rep assignments.

Unlike crm/models/ these rows are not mirrored from Shopify: staff write them in the admin (or
through the API), and each write lands on the subject's timeline in the same transaction.

Who a staff member is (`CrmStaffMember.identity`, unique per shop):
- `shopify:<user id>` for staff who open Tradeline inside Shopify admin. The App Bridge session
  token names the Shopify user (its `sub` claim); the name and email come from the online-token
  profile app/auth stores (`ShopToken.user_name`/`user_email`) and are refreshed whenever they change.
- `name:<name, whitespace collapsed, casefolded>` after local sign-in (development and demos),
  which knows only the display name typed on the sign-in form, so "Dana Reyes" and "dana  reyes"
  are the same person. Such a member has no email and no Shopify user id.
The two kinds never merge: a person who used both sign-ins is two staff members.

A note, task or assignment is about exactly one customer or one company (`customer_id` xor
`company_id`, held by a CHECK constraint), the same two feeds the timeline has.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime, utcnow
from crm.models import CrmCompany, CrmCustomer

IDENTITY_SHOPIFY = "shopify:"
IDENTITY_NAME = "name:"
# Exactly one of customer_id / company_id: what the row is about.
ONE_SUBJECT = "(customer_id IS NULL) <> (company_id IS NULL)"


class CrmStaffMember(Base):
    """A person who uses the admin: a Shopify staff account, or a local sign-in name."""

    __tablename__ = "crm_staff_member"
    __table_args__ = (
        UniqueConstraint("shop_id", "identity"),
        Index("ix_crm_staff_member_shop_id_name", "shop_id", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    identity: Mapped[str] = mapped_column(
        String(300), comment="'shopify:<user id>' or 'name:<casefolded name>' (see crm.models_work)"
    )
    shopify_user_id: Mapped[int | None] = mapped_column(BigInteger, comment="Shopify staff (user) id")
    name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, default=True, comment="offered as assignee / sales rep")
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="last admin request")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def initials(self) -> str:
        parts = [p for p in self.name.split() if p[:1].isalnum()]
        return "".join(p[0] for p in parts[:2]).upper() or "?"


class CrmNote(Base):
    """A staff note on a customer or a company."""

    __tablename__ = "crm_note"
    __table_args__ = (
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
        Index("ix_crm_note_customer_feed", "shop_id", "customer_id", "created_at"),
        Index("ix_crm_note_company_feed", "shop_id", "company_id", "created_at"),
        # For the ON DELETE actions from customers, companies and staff members.
        Index("ix_crm_note_customer_id", "customer_id"),
        Index("ix_crm_note_company_id", "company_id"),
        Index("ix_crm_note_author_id", "author_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_customer.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("crm_company.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_staff_member.id", ondelete="SET NULL"), comment="NULL: written through the API"
    )
    author_name: Mapped[str] = mapped_column(String(255), comment="as shown when written")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    author: Mapped[CrmStaffMember | None] = relationship(viewonly=True)
    customer: Mapped[CrmCustomer | None] = relationship(viewonly=True)
    company: Mapped[CrmCompany | None] = relationship(viewonly=True)


class CrmTask(Base):
    """A follow-up task about a customer or a company; open until `completed_at` is set."""

    __tablename__ = "crm_task"
    __table_args__ = (
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
        # "My tasks": a staff member's open tasks by due date.
        Index("ix_crm_task_assignee", "shop_id", "assignee_id", "completed_at", "due_on"),
        Index("ix_crm_task_customer_id", "customer_id"),
        Index("ix_crm_task_company_id", "company_id"),
        Index("ix_crm_task_assignee_id", "assignee_id"),
        Index("ix_crm_task_created_by_id", "created_by_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_customer.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("crm_company.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255))
    due_on: Mapped[date | None] = mapped_column(Date, comment="a day in the shop's time zone")
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_staff_member.id", ondelete="SET NULL"), comment="NULL: unassigned"
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("crm_staff_member.id", ondelete="SET NULL"))
    created_by_name: Mapped[str] = mapped_column(String(255))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="NULL: open")
    completed_by_name: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    assignee: Mapped[CrmStaffMember | None] = relationship(foreign_keys=[assignee_id], viewonly=True)
    customer: Mapped[CrmCustomer | None] = relationship(viewonly=True)
    company: Mapped[CrmCompany | None] = relationship(viewonly=True)

    @property
    def is_open(self) -> bool:
        return self.completed_at is None

    def is_overdue(self, today: date) -> bool:
        """Open and due before `today` (the shop's date)."""
        return self.completed_at is None and self.due_on is not None and self.due_on < today


class CrmSalesRepAssignment(Base):
    """The staff member who owns a customer or company account (at most one each).

    This row is the truth; `sales_rep_name`/`sales_rep_email` on crm_customer and crm_company are
    a copy kept in step by crm.notes for readers outside the CRM (campaign alerts, exports).
    """

    __tablename__ = "crm_sales_rep_assignment"
    __table_args__ = (
        CheckConstraint(ONE_SUBJECT, name="one_subject"),
        UniqueConstraint("shop_id", "customer_id"),
        UniqueConstraint("shop_id", "company_id"),
        Index("ix_crm_sales_rep_assignment_staff", "shop_id", "staff_id"),
        # For the ON DELETE CASCADE from staff members, customers and companies.
        Index("ix_crm_sales_rep_assignment_staff_id", "staff_id"),
        Index("ix_crm_sales_rep_assignment_customer_id", "customer_id"),
        Index("ix_crm_sales_rep_assignment_company_id", "company_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("app_shop.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("crm_customer.id", ondelete="CASCADE"))
    company_id: Mapped[int | None] = mapped_column(ForeignKey("crm_company.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("crm_staff_member.id", ondelete="CASCADE"))
    assigned_by: Mapped[str] = mapped_column(String(255), comment="who assigned, as shown")
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    staff: Mapped[CrmStaffMember] = relationship(viewonly=True)
