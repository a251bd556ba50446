"""A workspace's sealing identity: the key and certificate that seal completed documents.

`new_sealing_identity` makes one when a workspace is created (an ECDSA P-256 key and a
self-signed X.509 certificate); `load_pkcs12` reads one a staff member uploads. Either way
the result is a `SealingIdentity` whose stored form is **PKCS#12 bytes plus a passphrase**:

* the PKCS#12 bytes (`identity.pkcs12`) are already encrypted with the passphrase
  (cryptography's best available encryption: AES-256-CBC, PBKDF2-SHA256) and can sit in a
  database column or the storage adapter as they are;
* the passphrase (`identity.password`) is the secret: the app stores it sealed with the
  server key (`services/secret_box.seal`), never in clear. Stealing the database alone
  gives neither the key nor the passphrase.

An uploaded PKCS#12 is kept exactly as uploaded (with the staff member's passphrase) so that
its chain (intermediate certificates) goes into every seal; a generated one gets a random
32-byte passphrase.

Why ECDSA P-256 for generated identities: key generation is instant (a workspace is created
inside a request), signatures are small, and PAdES validators (Adobe Acrobat, EU DSS,
pyHanko) accept it. Uploaded identities may be RSA or EC.

The signer certificate must carry the digitalSignature and nonRepudiation
(contentCommitment) key usages: validators such as pyHanko refuse a seal made with a
certificate that lacks them. `load_pkcs12` checks this, the validity dates and the presence
of a private key matching the certificate, and says what is wrong in a sentence a person can
act on (`SealingIdentityError.message`).

No Reflex, no database, no services.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

MAX_PKCS12_BYTES = 200_000
MAX_NAME = 64          # X.509 upper bound for CN and O


class SealingIdentityError(Exception):
    """A sealing identity cannot be made or used; `message` is safe to show to staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SealingIdentity:
    """Key and certificate (with chain) as PKCS#12 bytes, and the passphrase that opens them.

    Store `pkcs12` as is and `password` sealed (secret_box). `fingerprint` (SHA-256 of the
    certificate's DER, lowercase hex) is what verification trusts: keep every fingerprint a
    workspace ever sealed with, so documents sealed before a certificate change still verify.
    """

    pkcs12: bytes = field(repr=False)
    password: str = field(repr=False)

    @cached_property
    def _loaded(self) -> tuple:
        try:
            key, cert, chain = pkcs12.load_key_and_certificates(self.pkcs12, self.password.encode("utf-8"))
        except ValueError:
            raise SealingIdentityError("The sealing certificate cannot be opened with its stored passphrase.") from None
        if key is None or cert is None:
            raise SealingIdentityError("The sealing certificate file has no private key or no certificate.")
        return key, cert, tuple(chain or ())

    @property
    def certificate(self) -> x509.Certificate:
        return self._loaded[1]

    @property
    def chain(self) -> tuple[x509.Certificate, ...]:
        return self._loaded[2]

    @property
    def private_key(self):
        return self._loaded[0]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)

    @property
    def subject(self) -> str:
        return self.certificate.subject.rfc4514_string()

    @property
    def not_after(self) -> datetime:
        return self.certificate.not_valid_after_utc

    def signer(self):
        """A pyHanko SimpleSigner for this identity (certificate, chain, key)."""
        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign.signers import SimpleSigner
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        der = serialization.Encoding.DER
        key = asn1_keys.PrivateKeyInfo.load(self.private_key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        cert = asn1_x509.Certificate.load(self.certificate.public_bytes(der))
        others = [asn1_x509.Certificate.load(c.public_bytes(der)) for c in self.chain]
        return SimpleSigner(signing_cert=cert, signing_key=key,
                            cert_registry=SimpleCertificateStore.from_certs([cert, *others]))


def fingerprint(cert: x509.Certificate | bytes) -> str:
    """SHA-256 of a certificate's DER encoding, lowercase hex without separators."""
    der = cert if isinstance(cert, (bytes, bytearray)) else cert.public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(bytes(der)).hexdigest()


def normalise_fingerprint(value: str) -> str:
    """"AB:CD:…" or "abcd…" → "abcd…" (what a settings page shows vs what we compare)."""
    return "".join(ch for ch in str(value).lower() if ch in "0123456789abcdef")


def display_fingerprint(value: str) -> str:
    """"abcd…" → "AB:CD:…", the way certificate viewers print it."""
    hexa = normalise_fingerprint(value).upper()
    return ":".join(hexa[i:i + 2] for i in range(0, len(hexa), 2))


def _clean_name(value: str, what: str) -> str:
    text = " ".join(str(value or "").split())
    text = "".join(ch for ch in text if ch.isprintable())
    if not text:
        raise SealingIdentityError(f"The {what} for the sealing certificate is empty.")
    return text[:MAX_NAME]


def new_sealing_identity(common_name: str, organization: str, *, days: int = 3650,
                         now: datetime | None = None) -> SealingIdentity:
    """A new ECDSA P-256 key and self-signed certificate (digitalSignature + nonRepudiation),
    valid from five minutes ago (clock skew) for `days` days, packed as PKCS#12 with a random
    passphrase."""
    if not 1 <= int(days) <= 36_500:
        raise SealingIdentityError("A sealing certificate must be valid for between 1 day and 100 years.")
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, _clean_name(common_name, "name")),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, _clean_name(organization, "organization")),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=int(days)))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    password = secrets.token_urlsafe(32)
    data = pkcs12.serialize_key_and_certificates(
        b"sealing", key, cert, None, serialization.BestAvailableEncryption(password.encode("utf-8")))
    return SealingIdentity(pkcs12=data, password=password)


def _public_numbers(public_key):
    return public_key.public_numbers() if isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)) \
        else public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def check_certificate(cert: x509.Certificate, *, now: datetime | None = None) -> None:
    """Raise SealingIdentityError if `cert` cannot seal today: dates and key usages."""
    now = now or datetime.now(UTC)
    if cert.not_valid_after_utc <= now:
        raise SealingIdentityError(
            f"This certificate expired on {cert.not_valid_after_utc:%d %b %Y}. Upload a current one.")
    if cert.not_valid_before_utc > now:
        raise SealingIdentityError(
            f"This certificate is not valid until {cert.not_valid_before_utc:%d %b %Y}. Upload one valid today.")
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise SealingIdentityError(
            "This certificate does not say it may sign documents: it needs the key usages "
            "'Digital signature' and 'Non-repudiation'.") from None
    missing = [label for label, present in (("Digital signature", usage.digital_signature),
                                            ("Non-repudiation", usage.content_commitment)) if not present]
    if missing:
        raise SealingIdentityError(
            "This certificate lacks the key usage " + " and ".join(f"'{m}'" for m in missing)
            + ", which sealing documents requires. Ask your certificate provider for a document-signing certificate.")
    if not isinstance(cert.public_key(), (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise SealingIdentityError("Only RSA and elliptic-curve (ECDSA) certificates can seal documents.")


def load_pkcs12(data: bytes, password: str, *, now: datetime | None = None) -> SealingIdentity:
    """An uploaded PKCS#12 (.p12/.pfx) file checked for use as a sealing identity."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise SealingIdentityError("The certificate file is empty.")
    if len(data) > MAX_PKCS12_BYTES:
        raise SealingIdentityError("This file is too large to be a certificate (PKCS#12) file.")
    pw = (password or "").encode("utf-8")
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(bytes(data), pw or None)
    except ValueError:
        if not pw:
            raise SealingIdentityError("This certificate file needs its password.") from None
        raise SealingIdentityError("This password does not open the certificate file, or the file is not a "
                                   "PKCS#12 (.p12 or .pfx) certificate.") from None
    except Exception:
        raise SealingIdentityError("This file cannot be read as a PKCS#12 (.p12 or .pfx) certificate.") from None
    if key is None and (cert is not None or chain):
        raise SealingIdentityError("This file has a certificate but no private key. Export it again "
                                   "with the private key included.")
    if key is None:
        raise SealingIdentityError("This file has no certificate and no private key in it.")
    if cert is None:
        raise SealingIdentityError("This file has a private key but no certificate for it.")
    if _public_numbers(key.public_key()) != _public_numbers(cert.public_key()):
        raise SealingIdentityError("The private key in this file does not belong to its certificate.")
    check_certificate(cert, now=now)
    return SealingIdentity(pkcs12=bytes(data), password=password or "")
