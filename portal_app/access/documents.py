"""Documents and e-signatures: who manages documents and the sealing certificate, a client's
Documents section, and who acts as a given signer (one row, or the SQL form)."""

from __future__ import annotations

from portal_app.access.actors import (
    Actor,
    Anonymous,
    Client,
    Staff,
    require_portal_section,
    require_staff,
)
from portal_app.errors import Forbidden, NotFound, NotSignedIn

# --- documents and e-signatures ------------------------------------------------------------

def require_manage_documents(actor: Actor) -> Staff:
    """Any staff member uploads documents, places fields, sends, reminds and voids."""
    return require_staff(actor, "member")


def require_configure_sealing(actor: Actor) -> Staff:
    """The workspace's sealing certificate: owners and admins."""
    return require_staff(actor, "admin")


def require_client_documents(actor: Actor, settings) -> Client:
    """A client sees documents while the Documents section is enabled."""
    return require_portal_section(actor, settings, "documents")


def require_signer(actor: Actor, document, signer) -> Actor:
    """Only the person a signer row names acts as that signer: the client contact it names
    (in the document's workspace), or the staff user it names."""
    if isinstance(actor, Anonymous):
        raise NotSignedIn()
    if actor.workspace_id != document.workspace_id or (signer is not None and signer.document_id != document.id):
        raise NotFound("This document does not exist.")
    if signer is None and not isinstance(actor, Staff):
        raise NotFound("This document does not exist.")  # a client who is not a signer never learns of it
    if signer is not None and is_own_signer(actor, signer):
        return actor
    raise Forbidden("This signature is not yours to give.")


def is_own_signer(actor: Actor, signer) -> bool:
    """Whether a signer row names this actor: a client signer their own contact, a staff
    signer (countersigner) their own user. (The document's workspace is the caller's check.)"""
    if isinstance(actor, Client):
        return signer.role == "client" and signer.contact_id == actor.contact_id
    if isinstance(actor, Staff):
        return signer.role == "staff" and signer.user_id == actor.user_id
    return False


def own_signer_clause(signer_model, actor: Actor):
    """SQL form of `is_own_signer`, e.g. to join a client's documents to their signer rows."""
    import sqlalchemy as sa

    if isinstance(actor, Client):
        return sa.and_(signer_model.role == "client", signer_model.contact_id == actor.contact_id)
    if isinstance(actor, Staff):
        return sa.and_(signer_model.role == "staff", signer_model.user_id == actor.user_id)
    return sa.false()
