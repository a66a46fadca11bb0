"""B2B sync: companies, locations with payment terms, contacts linking customers to companies."""

from sqlalchemy import select

from app.db import UnitOfWork
from crm import service
from crm.models import CrmCompany, CrmCompanyContact, CrmCompanyLocation, CrmCustomer, CrmTimelineEvent
from crm.service import SyncAction
from tests.crm_support import at, company, customer, make_shop, webhook

CUSTOMER_ID = 706405506930370084


def _kinds(uow: UnitOfWork) -> list[str]:
    return list(uow.session.scalars(select(CrmTimelineEvent.kind).order_by(CrmTimelineEvent.id)))


def test_companies_create_then_an_older_update_is_ignored(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_company(uow, shop_id=shop_id, payload=company(minute=5))
    stale = service.upsert_company(uow, shop_id=shop_id, payload=company(minute=1, name="Old Name"))
    row = uow.session.scalars(select(CrmCompany)).one()
    assert stale.action is SyncAction.STALE
    assert (row.shopify_id, row.name, row.main_contact_shopify_id) == (123456789, "Acme Corp", 555000111)
    assert _kinds(uow) == ["company.created"]


def test_a_location_brings_its_company_and_payment_terms(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_company_location(uow, shop_id=shop_id, payload=webhook("company_locations_create"))
    location = uow.session.scalars(select(CrmCompanyLocation)).one()
    acme = uow.session.scalars(select(CrmCompany)).one()
    assert (location.company_id, location.name, location.payment_terms_name) == (
        acme.id,
        "Acme Austin warehouse",
        "Net 30",
    )
    assert location.shipping_address is not None and location.shipping_address["address2"] == "Dock 3"
    assert (acme.name, acme.payment_terms_name) == ("Acme Corp", "Net 30")
    assert _kinds(uow) == ["company.created", "company.location_added"]


def test_a_contact_makes_the_customer_a_member_and_its_removal_undoes_it(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_customer(uow, shop_id=shop_id, payload=customer())
    payload = webhook("company_contacts_create")
    outcome = service.upsert_company_contact(uow, shop_id=shop_id, payload=payload)
    contact = uow.session.get(CrmCompanyContact, outcome.id)
    buyer = uow.session.scalars(select(CrmCustomer)).one()
    acme = uow.session.scalars(select(CrmCompany)).one()
    assert contact is not None
    assert (contact.customer_id, contact.company_id, contact.title) == (buyer.id, acme.id, "Buyer")
    assert buyer.company_id == acme.id
    event = uow.session.scalars(select(CrmTimelineEvent).order_by(CrmTimelineEvent.id.desc())).first()
    assert event is not None
    assert (event.kind, event.summary, event.customer_id, event.company_id) == (
        "company.contact_added",
        "Ana Ruiz added as a contact (Buyer)",
        buyer.id,
        acme.id,
    )
    removed = service.delete_company_contact(uow, shop_id=shop_id, payload=dict(payload, updated_at=at(30)))
    uow.session.refresh(buyer)
    assert removed.action is SyncAction.DELETED
    assert buyer.company_id is None
    assert _kinds(uow)[-1] == "company.contact_removed"


def test_a_contact_for_an_unseen_customer_creates_a_placeholder_customer(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_company_contact(uow, shop_id=shop_id, payload=webhook("company_contacts_create"))
    buyer = uow.session.scalars(select(CrmCustomer)).one()
    assert (buyer.shopify_id, buyer.email, buyer.shopify_updated_at, buyer.company_id is not None) == (
        CUSTOMER_ID,
        None,
        None,
        True,
    )
    service.upsert_customer(uow, shop_id=shop_id, payload=customer(minute=0))
    uow.session.refresh(buyer)
    assert buyer.email == "ana@acme.example"


def test_deleting_a_location_recomputes_the_company_terms(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    payload = webhook("company_locations_create")
    service.upsert_company_location(uow, shop_id=shop_id, payload=payload)
    service.delete_company_location(uow, shop_id=shop_id, payload=payload)
    acme = uow.session.scalars(select(CrmCompany)).one()
    assert acme.payment_terms_name is None
    assert _kinds(uow)[-1] == "company.location_removed"


def test_deleting_a_company_is_soft(uow: UnitOfWork) -> None:
    shop_id = make_shop(uow)
    service.upsert_company(uow, shop_id=shop_id, payload=company())
    outcome = service.delete_company(uow, shop_id=shop_id, payload=company())
    assert outcome.action is SyncAction.DELETED
    assert service.crm_counts(uow, shop_id=shop_id)["companies"] == 0
    assert _kinds(uow) == ["company.created", "company.deleted"]
