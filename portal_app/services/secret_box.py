"""Secrets at rest (a workspace's Stripe secret key and webhook secret, later SMTP or API
tokens): encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) under a key
the database never holds.

The key comes from PORTAL_SECRET_KEY (several, comma-separated: the first encrypts, every
one decrypts, so a key can be rotated), or else from PORTAL_SECRET_KEY_FILE, which is
created with a random key (mode 0600) the first time it is needed. Back that file up with
the database: without it, stored secrets must be entered again.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import tempfile

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from portal_app.errors import ServiceError
from portal_app.settings import Settings, get_settings

PREFIX = "fernet:"


class SecretUnavailable(ServiceError):
    message = ("A stored secret cannot be read with this server's key (PORTAL_SECRET_KEY). "
               "Enter the secret again.")


def _fernet_key(material: str) -> bytes:
    """Any passphrase or random string → a Fernet key (SHA-256, URL-safe base64)."""
    return base64.urlsafe_b64encode(hashlib.sha256(material.encode("utf-8")).digest())


def _key_file_material(path: str) -> str:
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            return fh.read().strip()
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    material = secrets.token_urlsafe(48)
    # Written whole to a file of our own, then published under the key file's name with link(),
    # which fails when that name exists: several server processes starting at once end up with one
    # key, and none can read a key file another is still writing (an O_EXCL create can be read empty).
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".secret-key-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:  # mkstemp: mode 0600
            fh.write(material + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            return _key_file_material(path)
    finally:
        os.unlink(tmp)
    return material


def _box(settings: Settings | None = None) -> MultiFernet:
    settings = settings or get_settings()
    materials = [k.strip() for k in settings.secret_key.split(",") if k.strip()]
    if not materials:
        materials = [_key_file_material(settings.secret_key_file)]
    return MultiFernet([Fernet(_fernet_key(m)) for m in materials])


def seal(plaintext: str, settings: Settings | None = None) -> str:
    if not plaintext:
        return ""
    return PREFIX + _box(settings).encrypt(plaintext.encode("utf-8")).decode("ascii")


def unseal(sealed: str, settings: Settings | None = None) -> str:
    if not sealed:
        return ""
    if not sealed.startswith(PREFIX):
        raise SecretUnavailable()
    try:
        return _box(settings).decrypt(sealed[len(PREFIX):].encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        raise SecretUnavailable() from None


KNOWN_PREFIXES = ("sk_live_", "sk_test_", "rk_live_", "rk_test_", "pk_live_", "pk_test_", "whsec_")


def hint(secret: str) -> str:
    """What a settings page may show of a secret: its kind and last four characters."""
    if not secret:
        return ""
    kind = next((p for p in KNOWN_PREFIXES if secret.startswith(p)), "")
    return f"{kind}…{secret[-4:]}"
