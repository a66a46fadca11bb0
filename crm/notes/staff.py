"""Staff members: who they are, the choice of one in a form, their details on the accounts they own."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db import UnitOfWork, utcnow
from app.errors import InvalidInput
from app.tenancy import get_for_shop
from crm.models import CrmCompany, CrmCustomer
from crm.models_work import IDENTITY_NAME, IDENTITY_SHOPIFY, CrmSalesRepAssignment, CrmStaffMember
from crm.notes._common import LAST_SEEN_RESOLUTION, NAME_MAX_CHARS

# -- staff members --------------------------------------------------------------------------------


def staff_identity(*, name: str, shopify_user_id: int | None = None) -> str:
    """The identity key of a staff member: their Shopify user id, else their casefolded name."""
    if shopify_user_id is not None:
        return f"{IDENTITY_SHOPIFY}{shopify_user_id}"
    return f"{IDENTITY_NAME}{' '.join(name.split()).casefold()}"


def ensure_staff_member(
    uow: UnitOfWork, *, shop_id: int, name: str, shopify_user_id: int | None = None, email: str | None = None
) -> CrmStaffMember:
    """The staff member behind an admin request, created on first sight; name and email kept current."""
    clean_name = " ".join(name.split())[:NAME_MAX_CHARS] or "Staff member"
    identity = staff_identity(name=clean_name, shopify_user_id=shopify_user_id)
    session = uow.session
    now = utcnow()
    member = _staff_by_identity(session, shop_id, identity)
    if member is None:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        # Two first requests of the same person may race: the unique (shop, identity) decides, quietly.
        session.execute(
            dialect.insert(CrmStaffMember)
            .values(
                shop_id=shop_id,
                identity=identity,
                shopify_user_id=shopify_user_id,
                name=clean_name,
                email=email,
                active=True,
                last_seen_at=now,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["shop_id", "identity"])
        )
        member = _staff_by_identity(session, shop_id, identity)
        assert member is not None
    # A Shopify profile may not know the email (no online token yet): keep the one we have.
    new_email = email if email is not None else member.email
    if member.name != clean_name or member.email != new_email:
        member.name, member.email = clean_name, new_email
        session.flush()
        _copy_rep_details(session, shop_id=shop_id, staff=member)
    if member.last_seen_at is None or now - member.last_seen_at >= LAST_SEEN_RESOLUTION:
        member.last_seen_at = now
    if not member.active:
        member.active = True
    session.flush()
    return member


def _staff_by_identity(session: Session, shop_id: int, identity: str) -> CrmStaffMember | None:
    return session.scalar(
        select(CrmStaffMember).where(CrmStaffMember.shop_id == shop_id, CrmStaffMember.identity == identity)
    )


def list_staff_members(
    uow: UnitOfWork, *, shop_id: int, include_inactive: bool = False
) -> list[CrmStaffMember]:
    """The shop's staff members by name (the choices for assignee and sales rep)."""
    stmt = select(CrmStaffMember).where(CrmStaffMember.shop_id == shop_id)
    if not include_inactive:
        stmt = stmt.where(CrmStaffMember.active.is_(True))
    return list(uow.session.scalars(stmt.order_by(CrmStaffMember.name, CrmStaffMember.id)))


def get_staff_member(uow: UnitOfWork, *, shop_id: int, staff_id: int) -> CrmStaffMember:
    """The staff member with this id in this shop, else NotFound."""
    return get_for_shop(uow.session, CrmStaffMember, shop_id, staff_id)


def _staff_choice(session: Session, shop_id: int, staff_id: int | None, field: str) -> CrmStaffMember | None:
    """The staff member a form or API field names (None for none), else InvalidInput."""
    if staff_id is None:
        return None
    member = session.scalar(
        select(CrmStaffMember).where(CrmStaffMember.shop_id == shop_id, CrmStaffMember.id == staff_id)
    )
    if member is None:
        raise InvalidInput(f"{field}: no staff member {staff_id} in this shop")
    return member


def _copy_rep_details(session: Session, *, shop_id: int, staff: CrmStaffMember) -> None:
    """Refresh the sales-rep name/email copies on the accounts this staff member owns."""
    for model, link in (
        (CrmCustomer, CrmSalesRepAssignment.customer_id),
        (CrmCompany, CrmSalesRepAssignment.company_id),
    ):
        owned = select(link).where(
            CrmSalesRepAssignment.shop_id == shop_id,
            CrmSalesRepAssignment.staff_id == staff.id,
            link.is_not(None),
        )
        session.execute(
            update(model)
            .where(model.shop_id == shop_id, model.id.in_(owned))
            .values(sales_rep_name=staff.name, sales_rep_email=staff.email)
            .execution_options(synchronize_session="fetch")
        )
