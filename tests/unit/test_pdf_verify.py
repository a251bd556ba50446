"""verify_pdf (adapters/pdf_verify.py) and sealing identities (adapters/sealing.py): sealed
here and intact; one byte changed in the signed range → tampered; truncated → not intact;
bytes added after the seal → modified; another identity's seal → not sealed here; unsigned
and garbage input → clear results; PKCS#12 uploads with human errors."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.pdf_utils.reader import PdfFileReader

from portal_app.adapters.pdf_complete import FieldValue, complete_document
from portal_app.adapters.pdf_verify import verify_pdf
from portal_app.adapters.sealing import SealingIdentityError, display_fingerprint, load_pkcs12, new_sealing_identity
from tests.support.pdf_samples import certificate, drawn_png, make_cert, make_p12, plain_pdf


@pytest.fixture(scope="module")
def identity():
    return new_sealing_identity("Northwind Studio document sealing", "Northwind Studio")


@pytest.fixture(scope="module")
def sealed(identity):
    original = plain_pdf(2)
    fields = [FieldValue(0, 0.1, 0.8, 0.4, 0.08, "signature", drawn_png(), "zoe@cafe.example"),
              FieldValue(1, 0.1, 0.8, 0.4, 0.08, "signature", "Sam Staff", "sam@northwind.example")]
    return original, complete_document(original, fields, certificate(original), identity).data


def test_sealed_here_and_intact(sealed, identity):
    original, data = sealed
    result = verify_pdf(data, {display_fingerprint(identity.fingerprint)})   # "AB:CD:…" works too
    assert result.status == "sealed_here" and result.sealed_here and result.intact and result.covers_whole_file
    assert result.message.startswith("This document was sealed by us")
    assert result.certificate_sha256 == identity.fingerprint and result.signatures == 1
    assert result.signing_time is not None and abs(result.signing_time - datetime.now(UTC)) < timedelta(hours=1)
    assert (result.title, result.document_id) == ("Services agreement", "doc_7Hq2xK9p")
    assert result.original_sha256 == certificate(original).original_sha256
    assert [(s.email, s.signed_at) for s in result.signers] == [
        ("zoe@cafe.example", "2026-03-02T14:12:09Z"), ("sam@northwind.example", "2026-03-02T14:15:39Z")]


def _signed_range_offset(data: bytes) -> int:
    sig = PdfFileReader(io.BytesIO(data)).embedded_signatures[0]
    start, first_len = sig.byte_range[0], sig.byte_range[1]
    return start + first_len // 2          # in the middle of the first signed range


def test_one_byte_changed_is_tampered(sealed, identity):
    _, data = sealed
    at = _signed_range_offset(data)
    for offset in (at, len(data) - 40):            # the document body, and the end (after the signature)
        changed = bytearray(data)
        changed[offset] = (changed[offset] + 1) % 256 if changed[offset] not in b"\r\n" else changed[offset]
        if changed == bytearray(data):
            continue
        result = verify_pdf(bytes(changed), {identity.fingerprint})
        assert result.status == "tampered", offset
        assert not result.intact and not result.sealed_here and not result.title
        assert result.message.startswith("This document has been changed")


def test_truncated_is_not_intact(sealed, identity):
    _, data = sealed
    for keep in (len(data) - 10, len(data) // 2):
        result = verify_pdf(data[:keep], {identity.fingerprint})
        assert result.status in ("tampered", "unreadable") and not result.intact and not result.sealed_here


def test_content_added_after_sealing_is_modified(sealed, identity):
    from pyhanko.pdf_utils.generic import NameObject
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    _, data = sealed
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    root = writer.root
    root[NameObject("/PageMode")] = NameObject("/UseOutlines")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    result = verify_pdf(out.getvalue(), {identity.fingerprint})
    assert result.status == "modified" and result.intact and not result.covers_whole_file and not result.sealed_here


def test_another_identity_is_not_sealed_here(identity):
    original = plain_pdf(1)
    elsewhere = new_sealing_identity("Someone else", "Elsewhere Ltd")
    data = complete_document(original, [], certificate(original), elsewhere).data
    result = verify_pdf(data, {identity.fingerprint})
    assert result.status == "signed_elsewhere" and result.intact and not result.sealed_here
    assert result.certificate_sha256 == elsewhere.fingerprint and not result.signers
    assert "not by us" in result.message


def test_unsigned_and_garbage():
    assert verify_pdf(plain_pdf(1), {"ab" * 32}).status == "not_signed"
    for junk in (b"", b"hello", b"%PDF-1.7\n" + b"\x00" * 500, b"%PDF-1.4\n1 0 obj << /ByteRange [0 1", None, "text"):
        result = verify_pdf(junk, set())
        assert result.status in ("unreadable", "tampered") and not result.sealed_here, junk
        assert result.message


def test_verify_works_inside_a_running_event_loop(sealed, identity):
    _, data = sealed

    async def page_handler():
        return verify_pdf(data, {identity.fingerprint})

    assert asyncio.run(page_handler()).status == "sealed_here"


# ------------------------------------------------------------------ identities


def test_new_identity_is_self_signed_for_signing(identity):
    cert = identity.certificate
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert cert.issuer == cert.subject and "Northwind Studio" in identity.subject
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days >= 3650
    assert len(identity.fingerprint) == 64 and identity.password not in repr(identity)
    again = load_pkcs12(identity.pkcs12, identity.password)                  # the stored form reloads
    assert again.fingerprint == identity.fingerprint
    with pytest.raises(SealingIdentityError):
        new_sealing_identity("  ", "Org")


def test_uploaded_rsa_pkcs12_with_chain_seals_and_verifies():
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = make_cert(ca_key, name="Acme CA")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = make_cert(key, issuer_key=ca_key, issuer_name=ca.subject, name="Acme documents")
    identity = load_pkcs12(make_p12(key, leaf, b"correct horse", [ca]), "correct horse")
    assert len(identity.chain) == 1
    original = plain_pdf(1)
    data = complete_document(original, [], certificate(original), identity).data
    assert verify_pdf(data, {identity.fingerprint}).status == "sealed_here"


@pytest.mark.parametrize("case,words", [
    ("wrong password", "password does not open"),
    ("no password", "needs its password"),
    ("no key", "no private key"),
    ("key only", "no certificate"),
    ("expired", "expired on"),
    ("not yet valid", "not valid until"),
    ("no non-repudiation", "'Non-repudiation'"),
    ("no key usage", "'Digital signature' and 'Non-repudiation'"),
    ("garbage", "PKCS#12"),
    ("empty", "empty"),
])
def test_pkcs12_problems_have_human_messages(case, words):
    now = datetime.now(UTC)  # the certificates' windows and the check: one moment
    key = ec.generate_private_key(ec.SECP256R1())
    good = make_cert(key, start=now - timedelta(days=1))
    data, password = make_p12(key, good), "pw"
    if case == "wrong password":
        password = "nope"
    elif case == "no password":
        password = ""
    elif case == "no key":
        data = pkcs12.serialize_key_and_certificates(b"x", None, good, None,
                                                     serialization.BestAvailableEncryption(b"pw"))
    elif case == "key only":
        data = pkcs12.serialize_key_and_certificates(b"x", key, None, None,
                                                     serialization.BestAvailableEncryption(b"pw"))
    elif case == "expired":
        data = make_p12(key, make_cert(key, days=30, start=now - timedelta(days=60)))
    elif case == "not yet valid":
        data = make_p12(key, make_cert(key, start=now + timedelta(days=3)))
    elif case == "no non-repudiation":
        data = make_p12(key, make_cert(key, start=now - timedelta(days=1), usage=(True, False)))
    elif case == "no key usage":
        data = make_p12(key, make_cert(key, start=now - timedelta(days=1), usage=None))
    elif case == "garbage":
        data = b"\x30\x82garbage" * 20
    elif case == "empty":
        data = b""
    with pytest.raises(SealingIdentityError) as err:
        load_pkcs12(data, password, now=now)
    assert words in err.value.message
    assert "Traceback" not in err.value.message


def test_expired_identity_cannot_seal():
    from portal_app.adapters.pdf_complete import DocumentError

    old = new_sealing_identity("Old", "Org", days=1, now=datetime.now(UTC) - timedelta(days=5))
    original = plain_pdf(1)
    with pytest.raises((SealingIdentityError, DocumentError)) as err:
        complete_document(original, [], certificate(original), old)
    assert "expired" in err.value.message
