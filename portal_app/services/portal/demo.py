"""The demo workspace `make run` seeds into an empty database."""

from __future__ import annotations

import secrets

from sqlmodel import Session

from portal_app.models import ClientAccount, ClientStatus, utcnow
from portal_app.services import audit
from portal_app.services.accounts.contacts import create_contact
from portal_app.services.portal.workspaces import create_workspace, needs_setup, owner_actor
from portal_app.services.security import hash_password

DEMO_STAFF_EMAIL = "owner@demo.example"
DEMO_CLIENT_EMAIL = "client@demo.example"


def seed_demo(db: Session, base_url: str, staff_password: str | None = None,
              client_password: str | None = None) -> dict | None:
    """Creates the demo workspace if the database has none; returns the sign-ins or None."""
    if not needs_setup(db):
        return None
    staff_password = staff_password or secrets.token_urlsafe(9)
    client_password = client_password or secrets.token_urlsafe(9)
    ws, owner = create_workspace(db, name="Northwind Studio", base_url=base_url,
                                 owner_email=DEMO_STAFF_EMAIL, owner_name="Olivia Owner",
                                 owner_password=staff_password, is_default=True)
    staff = owner_actor(owner)
    client = create_contact(db, staff, {
        "first_name": "Casey", "last_name": "Client", "company": "Acme Bakery",
        "email": DEMO_CLIENT_EMAIL, "phone": "+1 555 0100", "address_line1": "12 Market Street",
        "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "United States",
    })
    for first, last, company, email in [
        ("Dana", "Diaz", "Diaz Dental", "dana@diaz.example"),
        ("Evan", "Ellis", "Ellis & Co", "evan@ellis.example"),
        ("Fiona", "Fischer", "", "fiona@fischer.example"),
    ]:
        create_contact(db, staff, {"first_name": first, "last_name": last, "company": company,
                                   "email": email})
    db.add(ClientAccount(workspace_id=ws.id, contact_id=client.id, status=ClientStatus.active.value,
                         password_hash=hash_password(client_password), activated_at=utcnow()))
    audit.record(db, ws.id, staff, "client.access_enabled", "contact", client.public_id,
                 {"demo": True})
    _seed_files(db, staff, client)
    _seed_invoices(db, staff, client)
    _seed_payment_details(db, staff)
    from portal_app.services.documents.demo_documents import seed_documents

    seed_documents(db, staff, client)
    from portal_app.services.automations.demo import seed_automations

    seed_automations(db, staff)
    _seed_appointments(db, staff, owner.public_id, client)
    return {"staff_email": DEMO_STAFF_EMAIL, "staff_password": staff_password,
            "client_email": DEMO_CLIENT_EMAIL, "client_password": client_password}


def _pdf(lines: list[str]) -> bytes:
    """A small, valid one-page PDF (Helvetica text) written by hand: no drawing library."""
    text = "BT /F1 14 Tf 72 760 Td 18 TL " + " ".join(
        "(" + ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '" for ln in lines) + " ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text.encode("latin-1") + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _png() -> bytes:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (600, 200), "white")
    draw = ImageDraw.Draw(img)
    for i, color in enumerate(["#1d4ed8", "#f59e0b", "#10b981", "#111827"]):
        draw.rectangle([20 + i * 145, 30, 145 + i * 145, 170], fill=color)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def folder_with_files(db: Session, staff, name: str, files: list[tuple[str, bytes]]):
    """A new folder holding `files` (name, bytes), stored as staff uploads; the folder."""
    from portal_app.services.files.file_transfer import IncomingFile, store_upload
    from portal_app.services.files.files import create_folder

    folder = create_folder(db, staff, name=name)
    for file_name, data in files:
        incoming = IncomingFile(file_name)
        try:
            incoming.write(data)
            store_upload(db, staff, incoming, folder.public_id)
        finally:
            incoming.discard()
    return folder


def _seed_files(db: Session, staff, client) -> None:
    """A shared "Welcome pack" folder with three files, and a link, for the demo client."""
    from portal_app.services.files.files import add_link, set_sharing

    folder = folder_with_files(db, staff, "Welcome pack", [
        ("Welcome guide.pdf", _pdf(["Welcome to Northwind Studio", "", "This guide explains how we work together:",
                                    "1. Kick-off call", "2. Brand discovery", "3. Design rounds", "4. Launch"])),
        ("Brand colors.png", _png()),
        ("Project timeline.csv", b"Phase,Start,End\nDiscovery,2026-12-01,2026-12-12\nDesign,2026-12-15,2027-01-16\n"
                                 b"Launch,2027-01-19,2027-01-30\n"),
    ])
    set_sharing(db, staff, folder.public_id, inherit=False, all_clients=False, contact_public_ids=[client.public_id])
    link = add_link(db, staff, title="Book a call with us", url="https://cal.example.com/northwind",
                    description="Pick a time that suits you for our next review.")
    set_sharing(db, staff, link.public_id, inherit=False, all_clients=False, contact_public_ids=[client.public_id])


DEMO_ZONE = "America/Chicago"   # the studio's and the demo client's (Springfield, IL)
DEMO_BOOKING_TYPES = ("Project check-in", "Discovery call")
DEMO_APPOINTMENT = "Design review"


def demo_appointment_day(today):
    """The day of the demo client's upcoming appointment: a weekday at least two days after
    `today` (the seed's date in DEMO_ZONE), so it is past the 24-hour cut-off and the client may
    still move or cancel it."""
    from datetime import timedelta

    day = today + timedelta(days=2)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _seed_appointments(db: Session, staff, owner_public_id: str, client) -> None:
    """The owner's working hours (Monday to Friday 09:00–12:00 and 13:00–17:00 in Chicago), two
    bookable kinds, and one upcoming appointment of the demo client, relative to the seed's clock.
    Its time (15:00–15:45 in Chicago: evening in Europe) stays clear of the times the e2e
    journeys make appointments at with the same owner (Berlin mornings and early afternoons)."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from portal_app.services.appointments import appointments, availability, booking

    hours = {str(d): [["09:00", "12:00"], ["13:00", "17:00"]] for d in range(5)}
    availability.set_availability(db, staff, owner_public_id, zone=DEMO_ZONE, days=hours, days_off=[])
    check_in, discovery = DEMO_BOOKING_TYPES
    booking.create_booking_type(db, staff, {
        "name": check_in, "duration_minutes": 30, "buffer_minutes": 10, "min_notice_minutes": 24 * 60,
        "horizon_days": 30, "location": "https://meet.example.com/northwind",
        "description": "Half an hour on where your project stands and what comes next."})
    booking.create_booking_type(db, staff, {
        "name": discovery, "duration_minutes": 60, "buffer_minutes": 15, "min_notice_minutes": 48 * 60,
        "horizon_days": 60, "location": "Northwind Studio, 400 Harbor Way, Springfield",
        "description": "An hour to talk through a new project: goals, budget and timeline."})
    day = demo_appointment_day(utcnow().astimezone(ZoneInfo(DEMO_ZONE)).date())
    start = datetime.combine(day, time(15, 0))
    appointments.create_appointment(
        db, staff, contact=client.public_id, zone=DEMO_ZONE, title=DEMO_APPOINTMENT,
        starts_at=start.isoformat(), ends_at=(start + timedelta(minutes=45)).isoformat(),
        location="https://meet.example.com/northwind",
        client_notes="We will walk through the homepage designs together.",
        internal_notes="Casey prefers the blue direction.")


def _seed_payment_details(db: Session, staff) -> None:
    """The business's details and a bank transfer beside card payments, so the demo's invoices
    and their PDFs say how to pay (Settings › Payments). The IBAN is the standard's example."""
    from portal_app.services.billing.payment_instructions import save_instructions

    save_instructions(db, staff, {
        "legal_name": "Northwind Studio LLC", "address": "400 Harbor Way, Suite 12\nSpringfield, IL 62701\nUnited States",
        "email": "billing@northwind.example", "phone": "+1 555 0142", "tax_id": "US-EIN 12-3456789",
        "bank_offered": "on", "bank_holder": "Northwind Studio LLC", "bank_name": "Example Bank",
        "bank_account": "GB82 WEST 1234 5698 7654 32", "bank_code": "WESTGB2L",
        "bank_reference": "Use the invoice number as the reference.",
    })


def _seed_invoices(db: Session, staff, client) -> None:
    """Four invoices for the demo client: sent, partially paid, paid, overdue."""
    from datetime import timedelta

    from portal_app.services.billing.invoices import create_invoice, record_manual_payment, send_invoice

    today = utcnow().date()
    specs = [
        ("sent", 3, 27, [("Website redesign — discovery workshop", "1", 180000, "8.25"),
                         ("Moodboards and style tiles", "6", 9500, "8.25")], 0),
        ("partial", 20, 10, [("Logo design package", "1", 240000, "0"),
                             ("Brand guidelines (PDF)", "1", 60000, "0")], 100000),
        ("paid", 40, 10, [("Monthly retainer — October", "1", 150000, "0")], 150000),
        ("overdue", 45, -15, [("Photography session (half day)", "4", 12500, "8.25"),
                              ("Retouching", "12.5", 4000, "8.25")], 0),
    ]
    for _label, days_ago, due_in, lines, paid in specs:
        issued = today - timedelta(days=days_ago)
        inv = create_invoice(db, staff, contact_public_id=client.public_id, currency="USD", issue_date=issued,
                             due_date=issued + timedelta(days=days_ago + due_in),
                             lines=[{"description": d, "quantity": q, "unit_minor": u, "tax_rate": t}
                                    for d, q, u, t in lines],
                             notes="Thank you for your business!", terms="Payment due by the date above.")
        send_invoice(db, staff, inv.public_id)
        if paid:
            record_manual_payment(db, staff, inv.public_id, amount_minor=paid, method="bank_transfer",
                                  reference="Wire ref. NW-" + inv.number[-4:])
