"""Authorization matrix rows for Documents & Contracts, the signing page and /verify
(part of tests/support/matrix.py; test_authz_matrix.py runs them for every kind of actor)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from tests.support.docs import draft, pdf_bytes, place, sent, sign_as_client


def documents_world(db, world) -> None:
    """A draft to edit, a draft to send, one to void, and a sent document for client A1."""
    docs = {}
    for name in ("edit", "send", "void"):
        doc = draft(db, world)
        place(db, world, doc)
        docs[name] = doc.public_id
    docs["sent"] = sent(db, world).public_id
    docs["decline"] = sent(db, world).public_id
    signed = sent(db, world)
    sign_as_client(db, world, signed)  # everyone has signed: waiting for the seal
    docs["sealing"] = signed.public_id
    world.docs = docs


def document_rows(world, grids: dict) -> list:
    from portal_app.services.documents import document_views
    from portal_app.state import signing as sg
    from portal_app.state import verify as vf
    from portal_app.state.portal import documents as pd
    from portal_app.state.staff import document_detail as dd
    from portal_app.state.staff import documents as ds
    from portal_app.state.staff import sealing as se

    STAFF, STAFF_ON_A1, SIGNIN, PUBLIC, grid = (grids["STAFF"], grids["STAFF_ON_A1"], grids["SIGNIN"],
                                               grids["PUBLIC"], grids["grid"])
    L, N, D, C, S, V = (ds.StaffDocumentsState, ds.NewDocumentState, dd.StaffDocumentState, pd.ClientDocumentsState,
                        sg.SigningState, vf.VerifyState)
    top, new = "/staff/documents", "/staff/documents/new"
    staff_doc = lambda name: lambda: f"/staff/documents/{world.docs[name]}"  # noqa: E731
    client_doc = lambda: f"/documents/{world.docs['sent']}"  # noqa: E731
    a1 = lambda: world.contact_a1.public_id  # noqa: E731
    pdf = lambda: [__import__("reflex").UploadFile(file=io.BytesIO(pdf_bytes(1)), path=Path("offer.pdf"))]  # noqa: E731
    garbage = lambda: [__import__("reflex").UploadFile(file=io.BytesIO(b"not a pdf"), path=Path("x.pdf"))]  # noqa: E731
    # only client A1 (the signer) may act on the sent document; staff are sent to their own page
    SIGNER = grid(**SIGNIN, client_a2="denied", staff_a="denied", member_a="denied", staff_b_on_b="denied")

    def follow_list(state):
        asyncio.run(state._run(lambda db, ws, a: document_views.staff_documents(db, a)))

    def follow_doc(state):
        asyncio.run(state._run(lambda db, ws, a: document_views.document_detail(db, a, state._public_id())))

    def follow_signing(state):
        asyncio.run(state._run(lambda db, ws, a: document_views.signing_view(db, a, state._public_id())))

    return [
        (L, "load", (), top, STAFF),
        (L, "set_status", ("sent",), top, "local"),
        (L, "follow", (), top, ("background", STAFF, follow_list)),
        (L, "setvar", ("rows", []), top, "setvar"),
        (N, "load", (), new, STAFF),
        *[(N, name, args, new, "local") for name, args in [
            ("set_kind", ("estimate",)), ("set_title", ("T",)), ("set_message", ("M",)), ("set_countersign", (True,)),
            ("set_currency", ("EUR",)), ("set_line", ("l1", "description", "Work")), ("add_line", ()),
            ("remove_line", ("l1",)), ("choose_contact", (a1,)), ("change_contact", ())]],
        (N, "find_contacts", ("ali",), new, STAFF),
        # staff of B cannot pick A's client (it is not among their choices): nothing is stored
        (N, "upload", (pdf,), new, grid(STAFF, staff_b_on_b="invalid"),
         ("load", ("set_title", ("Matrix offer",)), ("find_contacts", ("alice",)),
          ("choose_contact", lambda: (a1(),)))),
        (N, "upload", (garbage,), new, grid(STAFF, staff_a="invalid", member_a="invalid", staff_b_on_b="invalid"),
         ("load", ("set_title", ("Matrix offer",)))),
        (N, "setvar", ("contact", {}), new, "setvar"),
        (D, "load", (), staff_doc("edit"), STAFF_ON_A1),
        (D, "follow", (), staff_doc("edit"), ("background", STAFF_ON_A1, follow_doc)),
        *[(D, name, args, staff_doc("edit"), "local") for name, args in [
            ("set_tool", ("date",)), ("set_tool_signer", ("sgn_x",)), ("set_tool_page", ("1",)), ("add_at_page", ()),
            ("place", ({"page": 0, "x": 0.5, "y": 0.5},)),
            ("move_fields", ([],)), ("select", ("fld_x",)), ("delete_field", ("fld_x",)),
            ("toggle_required", ("fld_x",)), ("set_field_label", ("fld_x", "Company number")),
            ("set_field_hint", ("fld_x", "As registered")), ("open_dialog", ("send",)), ("set_dialog_open", (False,)),
            ("set_expires_on", ("2030-01-01",))]],
        (D, "save_fields", (), staff_doc("edit"), STAFF_ON_A1, ("load",)),
        (D, "send", (), staff_doc("send"), STAFF_ON_A1, ("load",)),
        (D, "remind", (), staff_doc("sent"), STAFF_ON_A1, ("load",)),
        (D, "retry_sealing", (), staff_doc("sealing"), STAFF_ON_A1, ("load",)),
        (D, "void", ({"reason": "superseded"},), staff_doc("void"), STAFF_ON_A1, ("load",)),
        (D, "setvar", ("doc", {}), staff_doc("edit"), "setvar"),
        (C, "load", (), "/documents", grid(**SIGNIN)),
        (C, "setvar", ("rows", []), "/documents", "setvar"),
        (S, "load", (), client_doc, grid(**SIGNIN, client_a2="denied")),
        (S, "follow", (), client_doc, ("background", grid(**SIGNIN, client_a2="denied", staff_b_on_b="denied"),
                                       follow_signing)),
        *[(S, name, args, client_doc, "local") for name, args in [
            ("set_value", ("fld_x", "v")), ("set_checked", ("fld_x", True)), ("set_consent", (True,)),
            ("set_mode", ("type",)), ("set_drawn", ("",)), ("set_typed", ("A",)), ("set_decline_open", (True,))]],
        (S, "decline", ({"reason": "Not for us"},), lambda: f"/documents/{world.docs['decline']}", SIGNER, ("load",)),
        (S, "sign", (), client_doc, SIGNER,
         ("load", ("set_consent", (True,)), ("set_mode", ("type",)), ("set_typed", ("Alice Client",)))),
        (S, "setvar", ("doc", {}), client_doc, "setvar"),
        (se.SealingState, "load", (), "/staff/settings/sealing", grids["ADMIN"]),
        (se.SealingState, "set_password", ("secret",), "/staff/settings/sealing", "local"),
        (se.SealingState, "upload", (garbage,), "/staff/settings/sealing",
         grid(grids["ADMIN"], staff_a="invalid", staff_b_on_b="invalid")),
        (se.SealingState, "setvar", ("cert", {}), "/staff/settings/sealing", "setvar"),
        (V, "load", (), "/verify", PUBLIC),
        (V, "check", (garbage,), "/verify", PUBLIC),
        (V, "setvar", ("result", {}), "/verify", "setvar"),
    ]
