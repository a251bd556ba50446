"""Run against an e2e server's database, storage and keys (its env, its directory): a
document the client signs whose seal job has used up its attempts, as if sealing kept
failing, so the journey can show staff the stuck state and their "Retry sealing now".

Everything goes through the services, in one transaction, so the server's worker never
sees the job before it is marked as given up. Prints the document's public id.
    PYTHONPATH=<app dir> python tests/e2e/stuck_seal.py <client email>
"""
from __future__ import annotations

import json
import sys

from sqlmodel import select

from portal_app import worker
from portal_app.access import Client
from portal_app.db import unit_of_work
from portal_app.models import ClientAccount, Contact, OutboxMessage, StaffUser
from portal_app.services.documents import documents, signing
from portal_app.services.portal.workspaces import owner_actor
from tests.support.docs import pdf_bytes

REASON = "The sealing certificate could not be read."


def main(email: str) -> str:
    with unit_of_work() as db:
        contact = db.exec(select(Contact).where(Contact.email == email)).one()
        account = db.exec(select(ClientAccount).where(ClientAccount.contact_id == contact.id)).one()
        owner = db.exec(select(StaffUser).where(StaffUser.workspace_id == contact.workspace_id,
                                                StaffUser.role == "owner")).first()
        staff = owner_actor(owner)
        doc = documents.upload_document(db, staff, data=pdf_bytes(1, "Annual retainer"), file_name="retainer.pdf",
                                        kind="contract", title="Annual retainer",
                                        contact_public_id=contact.public_id)
        [signer] = documents.signers_of(db, doc)
        documents.save_fields(db, staff, doc.public_id, [{"kind": "signature", "signer": signer.public_id,
                                                          "page": 0, "x": 0.1, "y": 0.8, "w": 0.3, "h": 0.06}])
        documents.send_document(db, staff, doc.public_id)
        client = Client(contact.workspace_id, contact.id, account.id, contact.email, contact.display_name)
        signing.sign_document(db, client, doc.public_id, consent=True, values={},
                              signature={"kind": "typed", "name": contact.display_name}, ip="198.51.100.4",
                              user_agent="e2e helper")
        db.flush()
        for msg in db.exec(select(OutboxMessage).where(OutboxMessage.kind == "document.seal",
                                                       OutboxMessage.done_at.is_(None))).all():
            if json.loads(msg.payload)["document"] == doc.public_id:
                msg.attempts, msg.last_error = worker.MAX_ATTEMPTS, f"DocumentError: {REASON}"
                db.add(msg)
        doc.seal_error = REASON
        db.add(doc)
        return doc.public_id


if __name__ == "__main__":
    print(main(sys.argv[1]))
