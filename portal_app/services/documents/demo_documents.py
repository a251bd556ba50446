"""The demo workspace's documents: a proposal waiting for the demo client's signature and
a contract everyone signed (sealed, so /verify says "sealed here")."""

from __future__ import annotations

from fpdf import FPDF
from sqlmodel import Session

from portal_app.access import Client
from portal_app.models import ClientAccount
from portal_app.services.documents import documents, sealing, signing


def _pdf(title: str, paragraphs: list[str]) -> bytes:
    pdf = FPDF(unit="pt", format="letter")
    pdf.set_margins(72, 72, 72)
    pdf.add_page()
    pdf.set_font("helvetica", "B", 20)
    pdf.multi_cell(0, 28, title)
    pdf.ln(8)
    pdf.set_font("helvetica", size=11)
    for text in paragraphs:
        pdf.multi_cell(0, 16, text)
        pdf.ln(6)
    pdf.set_y(640)
    pdf.cell(250, 16, "Client signature")
    pdf.cell(0, 16, "Date")
    return bytes(pdf.output())


def seed_documents(db: Session, staff, contact) -> None:
    account = db.query(ClientAccount).filter(ClientAccount.contact_id == contact.id).first()
    if account is None:
        raise RuntimeError("the demo client has no portal account")
    client = Client(staff.workspace_id, contact.id, account.id, contact.email, contact.display_name)

    def sent(kind: str, title: str, paragraphs: list[str]):
        doc = documents.upload_document(db, staff, data=_pdf(title, paragraphs), file_name=f"{title}.pdf", kind=kind,
                                        title=title, contact_public_id=contact.public_id,
                                        message="Let us know if anything should change.")
        db.flush()
        signer = documents.signers_of(db, doc)[0]
        documents.save_fields(db, staff, doc.public_id, [
            {"kind": "signature", "signer": signer.public_id, "page": 0, "x": 0.12, "y": 0.84, "w": 0.3, "h": 0.06},
            {"kind": "date", "signer": signer.public_id, "page": 0, "x": 0.56, "y": 0.845, "w": 0.2, "h": 0.035}])
        documents.send_document(db, staff, doc.public_id)
        return doc

    sent("proposal", "Brand refresh proposal", [
        "Scope: a new logo, a colour palette and type system, and templates for menus and social posts.",
        "Timeline: four weeks from the signed proposal, with two rounds of revisions.",
        "Fee: 4,800.00 USD, half on signing and half on delivery."])
    contract = sent("contract", "Website maintenance contract", [
        "Northwind Studio keeps the Acme Bakery website updated and secure for twelve months.",
        "Included: monthly updates, backups, uptime monitoring and up to four hours of changes a month.",
        "Fee: 250.00 USD a month, invoiced monthly."])
    sent("contract", "Website redesign contract", [  # waiting for the client: signing it starts onboarding
        "Northwind Studio redesigns the Acme Bakery website: discovery, design, build and launch.",
        "Timeline: ten weeks from the signed contract.",
        "Fee: 9,600.00 USD in three instalments."])
    signing.sign_document(db, client, contract.public_id, consent=True, values={},
                          signature={"kind": "typed", "name": contact.display_name}, ip="127.0.0.1",
                          user_agent="demo seed")
    db.flush()
    sealing.complete(db, contract.public_id)
