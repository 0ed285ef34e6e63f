"""The invoice as a Factur-X document (EN 16931 profile): the readable PDF (WeasyPrint) with
the structured CII XML embedded, made and checked (XSD) by the `factur-x` library; what the
regions take into Chorus Pro."""

from __future__ import annotations

from decimal import Decimal

from django.template.loader import render_to_string
from lxml import etree

from remu.rules.money import cents

from . import selectors
from .models import Invoice

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def _el(parent, tag: str, text=None, **attrib):
    prefix, name = tag.split(":")
    element = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}", attrib)
    if text is not None:
        element.text = str(text)
    return element


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def items(invoice: Invoice) -> list[tuple[str, Decimal, Decimal, Decimal]]:
    """(name, hours, unit cost, amount) of the invoice's items: per month and place for an
    instalment; one item for a balance or a credit note (whole value − validated instalments)."""
    if invoice.kind != Invoice.Kind.INSTALMENT:
        label = "Solde" if invoice.kind == Invoice.Kind.BALANCE else "Avoir sur solde"
        name = (
            f"{label} de l'action {invoice.action.number} : réalisé "
            f"{_amount(invoice.lines_total)} € − acomptes validés {_amount(invoice.deducted)} €"
        )
        return [(name, Decimal(1), invoice.total_ht, invoice.total_ht)]
    result = []
    for line in invoice.lines.all():
        month = f"{line.month:%m/%Y}"
        centre = line.centre_realised + line.centre_justified
        company = line.company_realised + line.company_justified
        if centre:
            amount = cents(centre * line.unit_cost_centre)
            result.append((f"Heures en centre {month}", centre, line.unit_cost_centre, amount))
        if company:
            amount = cents(company * line.unit_cost_company)
            result.append(
                (f"Heures en entreprise {month}", company, line.unit_cost_company, amount)
            )
    if not result:  # an instalment without hours: one item of its amount
        name = f"Acompte de l'action {invoice.action.number}"
        result.append((name, Decimal(1), invoice.lines_total, invoice.lines_total))
    return result


def cii_xml(invoice: Invoice) -> bytes:
    """The invoice's Cross Industry Invoice XML, EN 16931 profile."""
    region, provider = invoice.action.region, invoice.provider
    root = etree.Element(f"{{{NS['rsm']}}}CrossIndustryInvoice", nsmap=NS)
    context = _el(root, "rsm:ExchangedDocumentContext")
    _el(
        _el(context, "ram:GuidelineSpecifiedDocumentContextParameter"), "ram:ID"
    ).text = "urn:cen.eu:en16931:2017"
    document = _el(root, "rsm:ExchangedDocument")
    _el(document, "ram:ID", invoice.number or "BROUILLON")
    _el(document, "ram:TypeCode", "381" if invoice.kind == Invoice.Kind.CREDIT_NOTE else "380")
    issued = invoice.issued_on or invoice.created_at.date()
    _el(_el(document, "ram:IssueDateTime"), "udt:DateTimeString", f"{issued:%Y%m%d}", format="102")
    _el(_el(document, "ram:IncludedNote"), "ram:Content", f"Action {invoice.action}")
    transaction = _el(root, "rsm:SupplyChainTradeTransaction")
    category, rate = ("S", invoice.vat_rate) if invoice.vat_rate is not None else ("E", Decimal(0))
    item_rows = items(invoice)
    for i, (name, quantity, price, amount) in enumerate(item_rows, start=1):
        item = _el(transaction, "ram:IncludedSupplyChainTradeLineItem")
        _el(_el(item, "ram:AssociatedDocumentLineDocument"), "ram:LineID", i)
        _el(_el(item, "ram:SpecifiedTradeProduct"), "ram:Name", name)
        agreement = _el(item, "ram:SpecifiedLineTradeAgreement")
        _el(_el(agreement, "ram:NetPriceProductTradePrice"), "ram:ChargeAmount", _amount(price))
        _el(
            _el(item, "ram:SpecifiedLineTradeDelivery"),
            "ram:BilledQuantity",
            f"{quantity:.2f}",
            unitCode="HUR" if invoice.kind == Invoice.Kind.INSTALMENT else "C62",
        )
        settlement = _el(item, "ram:SpecifiedLineTradeSettlement")
        tax = _el(settlement, "ram:ApplicableTradeTax")
        _el(tax, "ram:TypeCode", "VAT")
        _el(tax, "ram:CategoryCode", category)
        _el(tax, "ram:RateApplicablePercent", _amount(rate))
        _el(
            _el(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation"),
            "ram:LineTotalAmount",
            _amount(amount),
        )
    agreement = _el(transaction, "ram:ApplicableHeaderTradeAgreement")
    _el(agreement, "ram:BuyerReference", invoice.action.number)
    seller = _el(agreement, "ram:SellerTradeParty")
    _el(seller, "ram:Name", provider.name)
    _el(
        _el(seller, "ram:SpecifiedLegalOrganization"), "ram:ID", provider.siret[:9], schemeID="0002"
    )
    address = _el(seller, "ram:PostalTradeAddress")
    if provider.postal_code:
        _el(address, "ram:PostcodeCode", provider.postal_code)
    if provider.address_line1:
        _el(address, "ram:LineOne", provider.address_line1)
    if provider.commune_id:
        _el(address, "ram:CityName", provider.commune.name)
    _el(address, "ram:CountryID", "FR")
    vat_number = getattr(getattr(provider, "tax_profile", None), "vat_number", "")
    if vat_number:
        _el(_el(seller, "ram:SpecifiedTaxRegistration"), "ram:ID", vat_number, schemeID="VA")
    buyer = _el(agreement, "ram:BuyerTradeParty")
    _el(buyer, "ram:Name", region.name)
    _el(_el(buyer, "ram:PostalTradeAddress"), "ram:CountryID", "FR")
    _el(transaction, "ram:ApplicableHeaderTradeDelivery")
    settlement = _el(transaction, "ram:ApplicableHeaderTradeSettlement")
    _el(settlement, "ram:InvoiceCurrencyCode", "EUR")
    lines_total = sum((row[3] for row in item_rows), Decimal("0.00"))
    allowance = invoice.subcontracted if invoice.kind == Invoice.Kind.INSTALMENT else Decimal(0)
    tax = _el(settlement, "ram:ApplicableTradeTax")
    _el(tax, "ram:CalculatedAmount", _amount(invoice.vat))
    _el(tax, "ram:TypeCode", "VAT")
    if category == "E":
        _el(tax, "ram:ExemptionReason", invoice.vat_exemption or selectors.DEFAULT_EXEMPTION)
    _el(tax, "ram:BasisAmount", _amount(invoice.total_ht))
    _el(tax, "ram:CategoryCode", category)
    _el(tax, "ram:RateApplicablePercent", _amount(rate))
    if allowance:
        charge = _el(settlement, "ram:SpecifiedTradeAllowanceCharge")
        _el(_el(charge, "ram:ChargeIndicator"), "udt:Indicator", "false")
        _el(charge, "ram:ActualAmount", _amount(allowance))
        names = ", ".join(s.subcontractor.name for s in invoice.subcontracts.all())
        _el(charge, "ram:Reason", f"Sous-traitance facturée directement : {names}"[:200])
        charge_tax = _el(charge, "ram:CategoryTradeTax")
        _el(charge_tax, "ram:TypeCode", "VAT")
        _el(charge_tax, "ram:CategoryCode", category)
        _el(charge_tax, "ram:RateApplicablePercent", _amount(rate))
    terms = _el(settlement, "ram:SpecifiedTradePaymentTerms")
    _el(terms, "ram:Description", "Paiement après validation par la Région")
    summation = _el(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    _el(summation, "ram:LineTotalAmount", _amount(lines_total))
    if allowance:
        _el(summation, "ram:AllowanceTotalAmount", _amount(allowance))
    _el(summation, "ram:TaxBasisTotalAmount", _amount(invoice.total_ht))
    _el(summation, "ram:TaxTotalAmount", _amount(invoice.vat), currencyID="EUR")
    _el(summation, "ram:GrandTotalAmount", _amount(invoice.total_ttc))
    _el(summation, "ram:DuePayableAmount", _amount(invoice.total_ttc))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def readable_pdf(invoice: Invoice) -> bytes:
    from weasyprint import HTML  # only this path needs the system libraries

    html = render_to_string(
        "invoicing/invoice_pdf.html",
        {"invoice": invoice, "items": items(invoice), "lines": invoice.lines.all()},
    )
    return HTML(string=html).write_pdf()


def facturx_pdf(invoice: Invoice) -> bytes:
    """The Factur-X PDF: the readable PDF with the checked XML embedded."""
    from facturx import generate_from_binary

    return generate_from_binary(
        readable_pdf(invoice),
        cii_xml(invoice),
        flavor="factur-x",
        level="en16931",
        check_xsd=True,
        pdf_metadata={
            "author": invoice.provider.name,
            "keywords": "Factur-X",
            "title": f"{invoice} – {invoice.provider.name}",
            "subject": f"Facture de l'action {invoice.action.number}",
        },
        lang="fr-FR",
    )
