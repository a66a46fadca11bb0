"""The price explainer: a buyer, SKUs with quantities and optionally a draft list → the engine's prices
with every candidate list and why it won or lost. Also the choices the explainer and simulator offer
(buyers, draft lists), read in a fixed number of statements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select

from app.db import UnitOfWork
from app.errors import NotFound
from crm.models import CrmCompany, CrmCompanyLocation, CrmCustomer, CrmProduct, CrmVariant
from pricing import rules
from pricing.models import PriceList, PriceListStatus
from pricing.service import resolve
from pricing.validation import PricingInputError, parse_quantity

MAX_LINES = 100  # rows an explanation takes: enough for a real cart, small enough to read
MAX_OPTIONS = 500  # buyers listed per select; the page says when there are more
# "SKU, qty", "SKU qty", "SKU<TAB>qty" or just "SKU" (1 unit).
_LINE_RE = re.compile(r"^\s*(?P<sku>.+?)\s*(?:[,;\t]\s*(?P<qty>[^,;\t]*?)\s*|\s+(?P<qty2>-?\d+)\s*)?$")


@dataclass(frozen=True)
class RequestedLine:
    """One line as typed: its line number in the text box, SKU and quantity."""

    number: int
    sku: str
    quantity: int


@dataclass(frozen=True)
class ExplainedLine:
    """A requested line, the variant it named and the engine's decision."""

    requested: RequestedLine
    variant_id: int
    label: str
    price: rules.LinePrice


@dataclass(frozen=True)
class Explanation:
    """The priced cart for one buyer, line by line."""

    buyer: rules.Buyer
    buyer_label: str
    draft: PriceList | None
    lines: tuple[ExplainedLine, ...]
    cart: rules.PricedCart
    list_names: dict[int, str]


@dataclass(frozen=True)
class Option:
    """A choice in a select: value and label."""

    value: int
    label: str


@dataclass(frozen=True)
class BuyerOptions:
    """Company locations and customers to pick a buyer from (capped at MAX_OPTIONS each)."""

    locations: tuple[Option, ...]
    customers: tuple[Option, ...]
    more_locations: bool
    more_customers: bool


def parse_lines(text: str) -> list[RequestedLine]:
    """`SKU, qty` per line (blank lines skipped; no quantity = 1); every error names its line."""
    requested: list[RequestedLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        match = _LINE_RE.match(raw)
        if match is None:  # pragma: no cover - the pattern accepts any non-blank line
            raise PricingInputError(f"Line {number}: write “SKU, quantity”", field="lines")
        quantity_text = match.group("qty") if match.group("qty") is not None else match.group("qty2")
        quantity = (
            1
            if quantity_text in (None, "")
            else parse_quantity(quantity_text, f"Line {number}: the quantity", field="lines")
        )
        requested.append(RequestedLine(number, match.group("sku").strip(), quantity))
    if not requested:
        raise PricingInputError("Enter at least one SKU, with a quantity: “SKU, 12”", field="lines")
    if len(requested) > MAX_LINES:
        raise PricingInputError(
            f"{len(requested)} lines is more than the {MAX_LINES} an explanation takes", field="lines"
        )
    return requested


def find_variants(uow: UnitOfWork, *, shop_id: int, lines: list[RequestedLine]) -> dict[str, tuple[int, str]]:
    """SKU (as typed) → (variant id, "Product · Variant"); an unknown or ambiguous SKU names its line."""
    wanted = {line.sku.lower() for line in lines}
    found: dict[str, list[tuple[int, str, str]]] = {}
    rows = uow.session.execute(
        select(CrmVariant.id, CrmVariant.sku, CrmVariant.title, CrmProduct.title)
        .join(CrmProduct, CrmProduct.id == CrmVariant.product_id)
        .where(
            CrmVariant.shop_id == shop_id,
            CrmVariant.deleted_at.is_(None),
            func.lower(CrmVariant.sku).in_(sorted(wanted)),
        )
        .order_by(CrmVariant.id)
    )
    for variant_id, sku, title, product_title in rows:
        label = " · ".join(part for part in (product_title, title) if part and part != "Default Title")
        found.setdefault(sku.lower(), []).append((variant_id, sku, label or f"Variant {variant_id}"))
    result: dict[str, tuple[int, str]] = {}
    for line in lines:
        matches = found.get(line.sku.lower(), [])
        exact = [m for m in matches if m[1] == line.sku]
        choice = exact or matches
        if not choice:
            raise PricingInputError(f"Line {line.number}: no variant has the SKU “{line.sku}”", field="lines")
        if len(choice) > 1:
            raise PricingInputError(
                f"Line {line.number}: {len(choice)} variants share the SKU “{line.sku}”; "
                "give each a unique SKU in Shopify",
                field="lines",
            )
        result[line.sku] = (choice[0][0], choice[0][2])
    return result


def draft_lists(uow: UnitOfWork, *, shop_id: int) -> list[PriceList]:
    """The shop's draft lists, by name."""
    return list(
        uow.session.scalars(
            select(PriceList)
            .where(PriceList.shop_id == shop_id, PriceList.status == PriceListStatus.DRAFT)
            .order_by(PriceList.name, PriceList.id)
        )
    )


def all_lists(uow: UnitOfWork, *, shop_id: int) -> list[PriceList]:
    """Every list of the shop, active first, then by name (what a draft may replace)."""
    rows = uow.session.scalars(
        select(PriceList).where(PriceList.shop_id == shop_id).order_by(PriceList.name, PriceList.id)
    )
    order = {PriceListStatus.ACTIVE: 0, PriceListStatus.DRAFT: 1, PriceListStatus.ARCHIVED: 2}
    return sorted(rows, key=lambda row: order[row.status])


def get_list(uow: UnitOfWork, *, shop_id: int, price_list_id: int) -> PriceList:
    """A list of this shop; NotFound for another shop's."""
    row = uow.session.get(PriceList, price_list_id)
    if row is None or row.shop_id != shop_id:
        raise NotFound(f"price list {price_list_id} not found")
    return row


def buyer_options(uow: UnitOfWork, *, shop_id: int) -> BuyerOptions:
    """Company locations ("Company — Location") and customers ("Name · email"), by name."""
    locations = uow.session.execute(
        select(CrmCompanyLocation.id, CrmCompany.name, CrmCompanyLocation.name)
        .join(CrmCompany, CrmCompany.id == CrmCompanyLocation.company_id)
        .where(
            CrmCompanyLocation.shop_id == shop_id,
            CrmCompanyLocation.deleted_at.is_(None),
            CrmCompany.deleted_at.is_(None),
        )
        .order_by(CrmCompany.name, CrmCompanyLocation.name, CrmCompanyLocation.id)
        .limit(MAX_OPTIONS + 1)
    ).all()
    customers = uow.session.execute(
        select(CrmCustomer.id, CrmCustomer.first_name, CrmCustomer.last_name, CrmCustomer.email)
        .where(CrmCustomer.shop_id == shop_id, CrmCustomer.deleted_at.is_(None))
        .order_by(CrmCustomer.last_name, CrmCustomer.first_name, CrmCustomer.email, CrmCustomer.id)
        .limit(MAX_OPTIONS + 1)
    ).all()
    return BuyerOptions(
        locations=tuple(
            Option(ident, f"{company or 'Company'} — {name or 'Location'}")
            for ident, company, name in locations[:MAX_OPTIONS]
        ),
        customers=tuple(
            Option(
                ident,
                " · ".join(p for p in (" ".join(n for n in (first, last) if n), email) if p) or "Customer",
            )
            for ident, first, last, email in customers[:MAX_OPTIONS]
        ),
        more_locations=len(locations) > MAX_OPTIONS,
        more_customers=len(customers) > MAX_OPTIONS,
    )


def _buyer_label(uow: UnitOfWork, buyer: rules.Buyer) -> str:
    parts: list[str] = []
    if buyer.customer_id is not None:
        customer = uow.session.get(CrmCustomer, buyer.customer_id)
        if customer is not None:
            parts.append(customer.display_name)
    if buyer.company_location_id is not None:
        location = uow.session.get(CrmCompanyLocation, buyer.company_location_id)
        if location is not None:
            parts.append(f"{location.company.name or 'Company'} — {location.name or 'Location'}")
    elif buyer.company_id is not None:
        company = uow.session.get(CrmCompany, buyer.company_id)
        if company is not None:
            parts.append(company.name or "Company")
    return " buying for ".join(parts) if parts else f"Any buyer paying in {buyer.currency}"


def explain(
    uow: UnitOfWork,
    *,
    shop_id: int,
    lines_text: str,
    customer_id: int | None = None,
    company_location_id: int | None = None,
    currency: str | None = None,
    draft_price_list_id: int | None = None,
) -> Explanation:
    """Price the typed lines for the buyer, with the draft list (if any) treated as active."""
    requested = parse_lines(lines_text)
    draft = (
        get_list(uow, shop_id=shop_id, price_list_id=draft_price_list_id)
        if draft_price_list_id is not None
        else None
    )
    buyer = resolve.load_buyer(
        uow,
        shop_id=shop_id,
        customer_id=customer_id,
        company_location_id=company_location_id,
        currency=currency,
    )
    variants = find_variants(uow, shop_id=shop_id, lines=requested)
    cart = resolve.price_lines(
        uow,
        shop_id=shop_id,
        buyer=buyer,
        lines=[rules.LineRequest(variant_id=variants[r.sku][0], quantity=r.quantity) for r in requested],
        activate=(draft.id,) if draft else (),
    )
    names = {c.price_list_id: c.price_list_name for line in cart.lines for c in line.candidates}
    return Explanation(
        buyer=buyer,
        buyer_label=_buyer_label(uow, buyer),
        draft=draft,
        lines=tuple(
            ExplainedLine(requested=r, variant_id=variants[r.sku][0], label=variants[r.sku][1], price=price)
            for r, price in zip(requested, cart.lines, strict=True)
        ),
        cart=cart,
        list_names=names,
    )
