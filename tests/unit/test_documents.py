"""Documents and signing (services/documents/documents.py, signing.py, sealing.py, document_views.py),
on SQLite and PostgreSQL: the happy path, the deny paths and bad input for each use case,
and the seal job's result checked with pyHanko through verify."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import Document, DocumentField, Invoice, OutboxMessage, utcnow
from portal_app.services.documents import document_views, documents, sealing, signing, verify
from tests.support.docs import draft, drawn_signature, pdf_bytes, place, sent, sign_as_client


def kinds(db) -> list[str]:
    return [m.kind for m in db.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()]


def test_upload_keeps_the_pdf_under_a_generated_key_with_its_pages(db, world):
    doc = draft(db, world, countersign=True)
    assert doc.status == "draft" and doc.page_count == 2 and len(doc.original_sha256) == 64
    assert "agreement" not in doc.original_key and doc.original_key.startswith(world.ws_a.public_id + "/documents/")
    signers = documents.signers_of(db, doc)
    assert [(s.role, s.email, s.position) for s in signers] == [
        ("client", "alice@client.example", 1), ("staff", "owner@alpha.example", 2)]


@pytest.mark.parametrize("data, message", [
    (b"<html><script>alert(1)</script></html>", None),
    (b"%PDF-1.4\n1 0 obj\n<<", None),
    (b"", None),
])
def test_a_bad_file_is_refused_with_a_message_and_nothing_is_stored(db, world, data, message):
    with pytest.raises(Invalid) as caught:
        documents.upload_document(db, world.staff_a, data=data, file_name="x.pdf", kind="contract", title="X",
                                  contact_public_id=world.contact_a1.public_id)
    assert caught.value.field == "file" and caught.value.message
    assert db.exec(select(Document)).all() == []


@pytest.mark.parametrize("kw, field", [
    ({"kind": "poem"}, "kind"), ({"title": "  "}, "title"), ({"contact_public_id": "ct_nope"}, "contact"),
    ({"currency": "XXX"}, "currency"),
])
def test_bad_form_input_is_refused_before_the_file_is_read(db, world, kw, field):
    args = dict(data=pdf_bytes(), file_name="a.pdf", kind="contract", title="Agreement",
                contact_public_id=world.contact_a1.public_id)
    args.update(kw)
    with pytest.raises(Invalid) as caught:
        documents.upload_document(db, world.staff_a, **args)
    assert caught.value.field == field


def test_only_staff_of_the_workspace_upload_and_see_documents(db, world):
    doc = draft(db, world)
    for actor, error in [(world.client_a1, Forbidden), (world.anon, NotSignedIn)]:
        with pytest.raises(error):
            documents.upload_document(db, actor, data=pdf_bytes(), file_name="a.pdf", kind="contract", title="A",
                                      contact_public_id=world.contact_a1.public_id)
    with pytest.raises(NotFound):
        document_views.document_detail(db, world.staff_b, doc.public_id)
    with pytest.raises(Invalid):  # staff of B cannot address A's client
        documents.upload_document(db, world.staff_b, data=pdf_bytes(), file_name="a.pdf", kind="contract", title="A",
                                  contact_public_id=world.contact_a1.public_id)


@pytest.mark.parametrize("bad", [
    {"page": 5}, {"x": 1.2}, {"x": -0.1}, {"w": 0.0}, {"x": 0.9, "w": 0.3}, {"kind": "stamp"},
    {"signer": "sgn_other"}, {"x": "nan"}, {"y": None},
])
def test_fields_must_lie_on_a_page_and_belong_to_a_signer(db, world, bad):
    doc = draft(db, world)
    signer = documents.signers_of(db, doc)[0]
    field = {"kind": "signature", "signer": signer.public_id, "page": 0, "x": 0.1, "y": 0.1, "w": 0.2, "h": 0.05}
    field.update(bad)
    with pytest.raises(Invalid):
        documents.save_fields(db, world.staff_a, doc.public_id, [field])
    assert db.exec(select(DocumentField)).all() == []


def test_send_needs_a_signature_field_for_each_signer_then_emails_the_client(db, world):
    doc = draft(db, world, countersign=True)
    with pytest.raises(Invalid, match="signature field"):
        documents.send_document(db, world.staff_a, doc.public_id)
    place(db, world, doc)
    with pytest.raises(Invalid, match="future"):
        documents.send_document(db, world.staff_a, doc.public_id, expires_on=utcnow().date())
    documents.send_document(db, world.staff_a, doc.public_id, expires_on=utcnow().date() + timedelta(days=7))
    assert doc.status == "sent" and doc.expires_at is not None
    assert "email" in kinds(db) and "document.sent" in kinds(db)
    with pytest.raises(Invalid, match="already sent"):
        documents.send_document(db, world.staff_a, doc.public_id)
    with pytest.raises(Invalid, match="draft"):
        documents.save_fields(db, world.staff_a, doc.public_id, [])


def test_the_client_sees_only_their_own_documents_and_never_a_draft(db, world):
    draft(db, world)
    doc = sent(db, world)
    rows = document_views.client_documents(db, world.client_a1)["rows"]
    assert [r["id"] for r in rows] == [doc.public_id]
    assert document_views.client_documents(db, world.client_a2)["rows"] == []
    for actor in (world.client_a2, world.client_b1):
        with pytest.raises(NotFound):
            document_views.signing_view(db, actor, doc.public_id)
        with pytest.raises(NotFound):
            document_views.page_image(db, actor, doc.public_id, 1)


def test_the_home_card_counts_the_documents_awaiting_the_clients_signature(db, world):
    from portal_app.services.portal.portal_home import home_summary

    def card(client) -> tuple[int, str]:
        summary = next(s for s in home_summary(db, client)[1] if s.key == "documents")
        return summary.count, summary.empty_text

    draft(db, world)
    assert card(world.client_a1) == (0, "No documents are waiting for you.")
    doc = sent(db, world)
    sent(db, world)
    db.commit()
    assert card(world.client_a1) == (2, "2 documents waiting for your signature.")
    assert card(world.client_a2) == (0, "No documents are waiting for you.")  # Bob signs none of them
    sign_as_client(db, world, doc)
    db.commit()
    assert card(world.client_a1) == (1, "1 document waiting for your signature.")


def test_signing_view_marks_viewed_once_and_fills_the_certificate(db, world):
    doc = sent(db, world)
    signing.mark_viewed(db, world.client_a1, doc.public_id, ip="198.51.100.1", user_agent="UA")
    signing.mark_viewed(db, world.client_a1, doc.public_id, ip="198.51.100.2", user_agent="UA2")
    signer = documents.signers_of(db, doc)[0]
    assert doc.status == "viewed" and signer.ip == "198.51.100.1"
    assert kinds(db).count("document.viewed") == 1
    view = document_views.signing_view(db, world.client_a1, doc.public_id)
    assert view["can_sign"] and view["consent_version"] == signing.CONSENT_VERSION


def test_signing_refuses_without_consent_and_with_a_bad_signature(db, world):
    doc = sent(db, world)
    with pytest.raises(Invalid) as caught:
        sign_as_client(db, world, doc, consent=False)
    assert caught.value.field == "consent"
    for bad in [{"kind": "drawn", "png": "data:image/png;base64,AAAA"}, {"kind": "drawn", "png": "javascript:1"},
                {"kind": "typed", "name": "x"}, {}, {"kind": "fingerprint"}]:
        with pytest.raises(Invalid) as caught:
            sign_as_client(db, world, doc, signature=bad)
        assert caught.value.field == "signature"
    db.rollback()
    assert documents.signers_of(db, db.get(Document, doc.id))[0].status == "pending"


def test_a_signer_fills_only_their_own_fields_and_only_in_turn(db, world):
    doc = draft(db, world, countersign=True)
    signers = place(db, world, doc, extra=[])
    documents.send_document(db, world.staff_a, doc.public_id)
    staff_field = next(f for f in documents.fields_of(db, doc) if f.signer_id == signers[1].id)
    with pytest.raises(Invalid, match="own fields"):
        sign_as_client(db, world, doc, values={staff_field.public_id: "mine now"})
    with pytest.raises(Invalid, match="not your turn"):  # the countersigner waits for the client
        signing.sign_document(db, world.staff_a, doc.public_id, consent=True, values={},
                              signature={"kind": "typed", "name": "Ava Owner"})
    with pytest.raises(Forbidden):  # another staff member is not the countersigner
        signing.sign_document(db, world.member_a, doc.public_id, consent=True, values={},
                              signature={"kind": "typed", "name": "Max Member"})
    with pytest.raises(NotFound):
        signing.sign_document(db, world.client_a2, doc.public_id, consent=True, values={},
                              signature={"kind": "typed", "name": "Bob Client"})


def test_a_double_submit_signs_once(db, world):
    doc = sent(db, world)
    sign_as_client(db, world, doc)
    with pytest.raises(Invalid, match="Everyone has signed|already signed"):
        sign_as_client(db, world, doc)
    assert kinds(db).count("document.signed") == 1 and kinds(db).count("document.seal") == 1


def test_signing_after_void_or_expiry_is_refused(db, world):
    voided = sent(db, world)
    documents.void_document(db, world.staff_a, voided.public_id, "wrong price")
    with pytest.raises(Invalid, match="voided"):
        sign_as_client(db, world, voided)
    expiring = sent(db, world)
    expiring.expires_at = utcnow() - timedelta(minutes=1)
    db.add(expiring)
    db.flush()
    with pytest.raises(Invalid, match="expired"):
        sign_as_client(db, world, expiring)
    assert db.get(Document, expiring.id).status == "expired"


def test_decline_needs_a_reason_and_tells_the_sender(db, world):
    doc = sent(db, world)
    with pytest.raises(Invalid) as caught:
        signing.decline_document(db, world.client_a1, doc.public_id, " ")
    assert caught.value.field == "reason"
    signing.decline_document(db, world.client_a1, doc.public_id, "The price is not what we agreed.")
    assert doc.status == "declined" and doc.decline_reason == "The price is not what we agreed."
    detail = document_views.document_detail(db, world.staff_a, doc.public_id)
    assert detail["decline_reason"] == "The price is not what we agreed."
    with pytest.raises(Invalid, match="declined"):
        sign_as_client(db, world, doc)


def test_the_last_signature_seals_a_pdf_that_proves_itself(db, world):
    doc = sent(db, world, countersign=True)
    sign_as_client(db, world, doc)
    assert doc.status == "partially_signed"
    signing.sign_document(db, world.staff_a, doc.public_id, consent=True, values={},
                          signature={"kind": "typed", "name": "Ava Owner"}, ip="192.0.2.9", user_agent="staff UA")
    assert doc.status == "sealing"
    db.commit()
    sealing.complete(db, doc.public_id)
    db.commit()
    assert doc.status == "completed" and len(doc.completed_sha256) == 64
    data, name = document_views.document_file(db, world.client_a1, doc.public_id, "completed")
    assert name == "agreement (signed).pdf"
    result = verify.verify_upload(db, data)
    assert result.verdict == "sealed_here", result
    assert {s["email"] for s in result.signers} == {"alice@client.example", "owner@alpha.example"}
    tampered = bytearray(data)
    tampered[len(data) // 3] ^= 0x01
    assert verify.verify_upload(db, bytes(tampered)).verdict in ("tampered", "modified", "unreadable")
    assert verify.verify_upload(db, pdf_bytes()).verdict == "not_signed"
    with pytest.raises(Invalid):
        document_views.document_file(db, world.client_a1, doc.public_id, "original")  # originals are staff's
    assert "document.completed" in kinds(db)


def test_an_accepted_estimate_becomes_a_draft_invoice(db, world):
    lines = [{"description": "Design sprint", "quantity": "2", "unit_price": "1500.00", "tax_rate": "10"}]
    doc = sent(db, world, kind="estimate", lines=lines)
    assert doc.estimate_total_minor == 330_000
    sign_as_client(db, world, doc, signature={"kind": "typed", "name": "Alice Client"})
    db.commit()
    sealing.complete(db, doc.public_id)
    db.commit()
    inv = db.get(Invoice, doc.invoice_id)
    assert (inv.status, inv.total_minor, inv.contact_id) == ("draft", 330_000, world.contact_a1.id)


def test_drawn_signatures_are_checked_as_images(db, world):
    doc = sent(db, world)
    sign_as_client(db, world, doc, signature={"kind": "drawn", "png": drawn_signature()})
    field = next(f for f in documents.fields_of(db, doc) if f.kind == "signature")
    assert field.value.startswith("png:") and "/signatures/" in field.value


def test_the_workspace_may_send_the_estimate_invoice_at_once(db, world):
    from portal_app.services.billing import payment_settings

    with pytest.raises(Invalid):
        payment_settings.save_invoice_settings(db, world.staff_a, invoice_prefix="INV-", default_currency="USD",
                                               allow_partial=False, min_partial="", estimate_invoice="maybe")
    payment_settings.save_invoice_settings(db, world.staff_a, invoice_prefix="INV-", default_currency="USD",
                                           allow_partial=False, min_partial="", estimate_invoice="sent")
    lines = [{"description": "Audit", "quantity": "1", "unit_price": "900.00", "tax_rate": "0"}]
    doc = sent(db, world, kind="estimate", lines=lines)
    sign_as_client(db, world, doc, signature={"kind": "typed", "name": "Alice Client"})
    db.commit()
    sealing.complete(db, doc.public_id)
    db.commit()
    assert db.get(Invoice, doc.invoice_id).status == "sent"


def test_staff_replace_the_sealing_certificate_and_old_seals_still_verify(db, world):
    from portal_app.adapters.sealing import new_sealing_identity

    doc = sent(db, world)
    sign_as_client(db, world, doc)
    db.commit()
    sealing.complete(db, doc.public_id)
    db.commit()
    first = sealing.certificate_view(db, world.staff_a)["fingerprint"]
    with pytest.raises(Forbidden):
        sealing.certificate_view(db, world.member_a)
    with pytest.raises(Invalid):
        sealing.upload_pkcs12(db, world.staff_a, b"not a pkcs12", "pw")
    own = new_sealing_identity("Alpha Studio legal", "Alpha Studio")
    sealing.upload_pkcs12(db, world.staff_a, own.pkcs12, own.password)
    view = sealing.certificate_view(db, world.staff_a)
    assert view["fingerprint"] != first and view["source"] == "Uploaded by your team" and view["older"] == "1"
    data, _name = document_views.document_file(db, world.staff_a, doc.public_id, "completed")
    assert verify.verify_upload(db, data).verdict == "sealed_here"


def test_two_submits_at_the_same_moment_sign_once(db, db_url, world):
    """Two sessions sign the same document at once: the row lock (PostgreSQL) or the single
    writer (SQLite) lets one through; the other is refused and writes nothing."""
    import threading

    from sqlmodel import Session

    from portal_app.db import get_engine

    doc = sent(db, world)
    barrier, outcomes = threading.Barrier(2), []

    def attempt():
        with Session(get_engine(db_url), expire_on_commit=False) as s:
            barrier.wait()
            try:
                signing.sign_document(s, world.client_a1, doc.public_id, consent=True, values={},
                                      signature={"kind": "typed", "name": "Alice Client"})
                s.commit()
                outcomes.append("signed")
            except Exception as exc:
                s.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes.count("signed") == 1, outcomes
    db.expire_all()
    assert db.get(Document, doc.id).status == "sealing"
    assert kinds(db).count("document.signed") == 1 and kinds(db).count("document.seal") == 1
