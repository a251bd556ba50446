"""services/files/file_transfer.py: streamed uploads (size limit, quota, content check, nothing
left behind when refused or cut off), client uploads into their own folder, and authorized
downloads that remember a client's first download. Helpers: tests/support/uploads.py; the
`store` fixture: tests/unit/conftest.py."""

from __future__ import annotations

import hashlib
import json
import os

import pytest
from sqlmodel import select

from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import FileDownload, FileItem, PortalSettings
from portal_app.services.files import file_transfer as ft
from portal_app.services.files import files
from tests.support.file_samples import HTML, docx_bytes, png_bytes
from tests.support.uploads import audit_of, blobs, file_rows, limits, outbox_of, pdf, set_portal, temps, upload

# --- staff uploads: happy paths --------------------------------------------------------------

@pytest.mark.parametrize("name,make,ctype", [
    ("logo.png", lambda: png_bytes((300, 200)), "image/png"),
    ("Contract.pdf", lambda: pdf(20_000), "application/pdf"),
    ("proposal.docx", docx_bytes, "application/octet-stream"),
    ("notes.txt", lambda: b"plain notes\n" * 10, "application/octet-stream"),
])
def test_staff_upload_stores_exact_bytes(db, world, store, name, make, ctype):
    data = make()
    folder = files.create_folder(db, world.staff_a, name="Deliverables")
    item = upload(db, world.staff_a, name, data, folder, chunk=777)
    db.commit()
    assert (item.kind, item.name, item.size, item.content_type) == ("file", name, len(data), ctype)
    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.parent_id == folder.id and item.workspace_id == world.ws_a.id
    assert item.owner_contact_id is None and item.created_by_user_id == world.staff_a.user_id
    assert item.storage_key.startswith(f"{world.ws_a.public_id}/files/") and name not in item.storage_key
    assert (store / item.storage_key).read_bytes() == data
    assert blobs(store) == [item.storage_key]
    assert temps(store) == []  # the temporary file became the blob
    event = audit_of(db, "file.uploaded")[-1]
    assert event.subject_id == item.public_id and event.workspace_id == world.ws_a.id
    assert json.loads(event.detail) == {"name": name, "size": len(data), "folder": "Deliverables"}
    assert outbox_of(db, "file.uploaded_by_client") == []  # staff uploads tell nobody


def test_staff_upload_at_top_level_by_member_with_a_hostile_name(db, world, store):
    item = upload(db, world.member_a, "../../etc/\u202epasswd.pdf", pdf())
    assert item.parent_id is None and item.name == "passwd.pdf"
    assert item.created_by_user_id == world.member_a.user_id


def test_upload_exactly_at_the_limit_is_accepted(db, world, store, monkeypatch):
    data = pdf(5000)
    limits(monkeypatch, max_bytes=len(data), quota=len(data))
    item = upload(db, world.staff_a, "edge.pdf", data, chunk=4096)
    assert item.size == len(data) and (store / item.storage_key).read_bytes() == data


# --- staff uploads: refused ------------------------------------------------------------------

def test_html_named_png_is_refused_and_leaves_nothing(db, world, store):
    with pytest.raises(Invalid, match="not a real .png file") as err:
        upload(db, world.staff_a, "innocent.png", HTML)
    assert err.value.field == "file"
    assert temps(store) == [] and blobs(store) == [] and file_rows(db) == []
    assert audit_of(db, "file.uploaded") == []


def test_large_html_named_png_is_refused_while_arriving(db, world, store):
    data = HTML + b" " * 20_000
    incoming = ft.IncomingFile("big.png")
    incoming.write(data[:1000])
    with pytest.raises(Invalid, match="not a real .png file"):
        incoming.write(data[1000:8000])  # the first 4 KB are complete: checked here
    assert incoming.size < len(data)
    assert temps(store) == [] and blobs(store) == [] and file_rows(db) == []
    incoming.discard()  # harmless when already gone


def test_oversized_file_is_refused_before_it_is_all_written(db, world, store, monkeypatch):
    limits(monkeypatch, max_bytes=10_000)
    data = pdf(40_000)
    incoming = ft.IncomingFile("huge.pdf")
    written = 0
    with pytest.raises(Invalid, match="larger than the 9.8 KB limit") as err:
        for i in range(0, len(data), 4096):
            incoming.write(data[i:i + 4096])
            written += 1
    assert err.value.field == "file"
    assert written == 2 and incoming.size == 8192  # the third piece would pass the limit
    assert temps(store) == [] and blobs(store) == [] and file_rows(db) == []


def test_incoming_file_explicit_limit(store):
    incoming = ft.IncomingFile("a.pdf", max_bytes=10)
    incoming.write(b"%PDF-1.4\n")
    with pytest.raises(Invalid):
        incoming.write(b"xx")
    assert temps(store) == []


def test_quota_overrun_is_refused_and_stores_nothing(db, world, store, monkeypatch):
    first = upload(db, world.staff_a, "first.pdf", pdf(1000))
    limits(monkeypatch, quota=first.size + 500)
    with pytest.raises(Invalid, match="Not enough storage left") as err:
        upload(db, world.staff_a, "second.pdf", pdf(1000))
    assert err.value.field == "file"
    assert [r.name for r in file_rows(db)] == ["first.pdf"]
    assert blobs(store) == [first.storage_key] and temps(store) == []
    # workspace B has its own quota
    other = upload(db, world.staff_b, "b.pdf", pdf(400))
    assert other.workspace_id == world.ws_b.id


def test_upload_cut_off_midway_leaves_nothing(db, world, store):
    data = pdf(50_000)
    incoming = ft.IncomingFile("interrupted.pdf")
    for i in range(0, 20_000, 4096):
        incoming.write(data[i:i + 4096])
    assert temps(store) == [os.path.basename(incoming.path)]  # arriving, private
    assert incoming.size == 20_480
    incoming.discard()
    assert temps(store) == [] and blobs(store) == [] and file_rows(db) == []
    assert audit_of(db, "file.uploaded") == []


def test_upload_into_a_missing_or_foreign_folder(db, world, store):
    b_folder = files.create_folder(db, world.staff_b, name="Beta only")
    for folder_id in ("fi_guessed", b_folder.public_id):
        incoming = ft.IncomingFile("x.pdf")
        incoming.write(pdf())
        with pytest.raises(NotFound):
            ft.store_upload(db, world.staff_a, incoming, folder_id)
        assert temps(store) == []
    assert file_rows(db) == [] and blobs(store) == []


@pytest.mark.parametrize("who,error", [("anon", NotSignedIn), ("client_a1", Forbidden)])
def test_upload_refused_for_actors_without_the_right(db, world, store, who, error):
    if who == "client_a1":
        set_portal(db, world, uploads=False)
    incoming = ft.IncomingFile("x.pdf")
    incoming.write(pdf())
    with pytest.raises(error):
        ft.store_upload(db, getattr(world, who), incoming)
    assert file_rows(db) == [] and blobs(store) == [] and temps(store) == []


# --- check_declared ----------------------------------------------------------------------------

def test_check_declared(db, world, store, monkeypatch):
    limits(monkeypatch, max_bytes=1000, quota=2500)
    ft.check_declared(db, world.staff_a, [{"name": "a.pdf", "size": 1000}, {"name": "b.pdf", "size": 1000}])
    with pytest.raises(Invalid, match="“a.pdf” is larger than the 1000 B limit"):
        ft.check_declared(db, world.staff_a, [{"name": "../a.pdf", "size": 1001}])
    with pytest.raises(Invalid, match="Not enough storage left"):
        ft.check_declared(db, world.staff_a, [{"name": f"{i}.pdf", "size": 1000} for i in range(3)])
    upload(db, world.staff_a, "used.pdf", pdf(900))
    with pytest.raises(Invalid, match="Not enough storage left"):
        ft.check_declared(db, world.staff_a, [{"name": "a.pdf", "size": 1000}, {"name": "b.pdf", "size": 1000}])
    with pytest.raises(Invalid, match="at most 200 files"):
        ft.check_declared(db, world.staff_a, [{"name": "x", "size": 0}] * 201)
    # a lying browser: negative sizes do not buy room
    with pytest.raises(Invalid, match="Not enough storage left"):
        ft.check_declared(db, world.staff_a, [{"name": "a", "size": -10_000}, {"name": "b", "size": 1000},
                                              {"name": "c", "size": 1000}])
    # workspace B's usage is its own
    ft.check_declared(db, world.staff_b, [{"name": "a.pdf", "size": 1000}, {"name": "b.pdf", "size": 1000}])


@pytest.mark.parametrize("bad", [[{"name": "a", "size": "lots"}], [{"name": "a", "size": [1]}], ["a.pdf"],
                                 [None]])
def test_check_declared_garbage_is_invalid(db, world, bad):
    with pytest.raises(Invalid):
        ft.check_declared(db, world.staff_a, bad)


def test_check_declared_for_clients(db, world, monkeypatch):
    limits(monkeypatch, max_bytes=1000)
    with pytest.raises(Forbidden):  # uploads are off by default
        ft.check_declared(db, world.client_a1, [{"name": "a.pdf", "size": 10}])
    set_portal(db, world, uploads=True)
    ft.check_declared(db, world.client_a1, [{"name": "a.pdf", "size": 10}])
    with pytest.raises(Invalid, match="larger than"):
        ft.check_declared(db, world.client_a1, [{"name": "a.pdf", "size": 1001}])
    with pytest.raises(Forbidden):  # workspace B did not turn uploads on
        ft.check_declared(db, world.client_b1, [{"name": "a.pdf", "size": 10}])
    with pytest.raises(NotSignedIn):
        ft.check_declared(db, world.anon, [{"name": "a.pdf", "size": 10}])


# --- client uploads ---------------------------------------------------------------------------

def test_client_upload_refused_when_uploads_are_off(db, world, store):
    assert db.get(PortalSettings, world.ws_a.id).allow_client_uploads is False
    with pytest.raises(Forbidden, match="does not accept uploads"):
        upload(db, world.client_a1, "scan.pdf", pdf())
    assert file_rows(db) == [] and blobs(store) == [] and temps(store) == []
    assert db.exec(select(FileItem)).all() == []  # not even the client's folder


def test_client_upload_refused_when_the_files_section_is_off(db, world, store):
    set_portal(db, world, uploads=True, files_on=False)
    # the Files section is hidden: like every closed section, it answers "not found"
    with pytest.raises(NotFound):
        upload(db, world.client_a1, "scan.pdf", pdf())
    with pytest.raises(NotFound):
        ft.check_declared(db, world.client_a1, [{"name": "scan.pdf", "size": 10}])
    assert db.exec(select(FileItem)).all() == [] and blobs(store) == [] and temps(store) == []


def test_client_upload_lands_in_their_own_folder(db, world, store):
    set_portal(db, world, uploads=True)
    staff_folder = files.create_folder(db, world.staff_a, name="Staff only")
    data = png_bytes()
    item = upload(db, world.client_a1, "passport.png", data, folder=staff_folder)  # folder choice ignored
    db.commit()
    folder = db.get(FileItem, item.parent_id)
    assert (folder.kind, folder.name, folder.parent_id) == ("folder", "From Alice Client", None)
    assert folder.owner_contact_id == world.contact_a1.id == item.owner_contact_id
    assert folder.created_by_contact_id == world.contact_a1.id == item.created_by_contact_id
    assert item.created_by_user_id is None and item.content_type == "image/png"
    assert (store / item.storage_key).read_bytes() == data
    second = upload(db, world.client_a1, "second.pdf", pdf())
    assert second.parent_id == folder.id  # one folder per client
    bob = upload(db, world.client_a2, "bob.pdf", pdf())
    assert db.get(FileItem, bob.parent_id).name == "From Bob Client" and bob.parent_id != folder.id

    events = outbox_of(db, "file.uploaded_by_client")
    assert events[0] == {"item": item.public_id, "contact": world.contact_a1.public_id, "name": "passport.png",
                         "size": len(data), "folder": "From Alice Client"}
    assert [e["contact"] for e in events] == [world.contact_a1.public_id] * 2 + [world.contact_a2.public_id]
    mails = outbox_of(db, "email", world.ws_a.id)
    # owners and admins hear of it (the member does not), once per upload
    assert [m["to"] for m in mails] == ["owner@alpha.example"] * 3
    assert mails[0]["subject"] == "Alice Client uploaded a file"
    assert "“passport.png”" in mails[0]["text"] and "https://alpha.example.test/staff/files" in mails[0]["text"]
    assert outbox_of(db, "email", world.ws_b.id) == []
    event = audit_of(db, "file.uploaded")[0]
    assert (event.actor_kind, event.actor_label) == ("client", "alice@client.example")


def test_refused_client_upload_creates_no_folder(db, world, store, monkeypatch):
    set_portal(db, world, uploads=True)
    limits(monkeypatch, quota=100)
    with pytest.raises(Invalid, match="Not enough storage"):
        upload(db, world.client_a1, "big.pdf", pdf(500))
    with pytest.raises(Invalid, match="not a real .pdf"):
        upload(db, world.client_a1, "fake.pdf", HTML)
    assert db.exec(select(FileItem)).all() == [] and blobs(store) == [] and temps(store) == []
    assert outbox_of(db, "email") == [] and outbox_of(db, "file.uploaded_by_client") == []


def test_staff_upload_into_a_clients_folder_belongs_to_that_client(db, world, store):
    set_portal(db, world, uploads=True)
    mine = upload(db, world.client_a1, "mine.pdf", pdf())
    folder = db.get(FileItem, mine.parent_id)
    reply = upload(db, world.staff_a, "reply.pdf", pdf(), folder)
    assert reply.owner_contact_id == world.contact_a1.id
    assert ft.open_file(db, world.client_a1, reply.public_id).name == "reply.pdf"
    with pytest.raises(NotFound):
        ft.open_file(db, world.client_a2, reply.public_id)


# --- downloads ---------------------------------------------------------------------------------

@pytest.fixture
def shared_pdf(db, world, store):
    folder = files.create_folder(db, world.staff_a, name="Shared")
    files.set_sharing(db, world.staff_a, folder.public_id, inherit=False, all_clients=False,
                      contact_public_ids=[world.contact_a1.public_id])
    item = upload(db, world.staff_a, "report.pdf", pdf(100), folder)
    doc = upload(db, world.staff_a, "report.docx", docx_bytes(), folder)
    db.commit()
    return item, doc


def test_first_client_download_is_remembered(db, world, shared_pdf):
    item, _ = shared_pdf
    dl = ft.open_file(db, world.client_a1, item.public_id)
    assert (dl.name, dl.key, dl.size, dl.content_type, dl.previewable) == (
        "report.pdf", item.storage_key, item.size, "application/pdf", True)
    db.commit()
    rows = db.exec(select(FileDownload)).all()
    assert len(rows) == 1
    first = rows[0]
    assert (first.item_id, first.contact_id, first.workspace_id, first.count) == (
        item.id, world.contact_a1.id, world.ws_a.id, 1)
    assert first.first_at == first.last_at
    events = audit_of(db, "file.downloaded")
    assert len(events) == 1 and events[0].subject_id == item.public_id and events[0].actor_kind == "client"
    assert outbox_of(db, "file.downloaded") == [{"item": item.public_id, "contact": world.contact_a1.public_id}]

    ft.open_file(db, world.client_a1, item.public_id)
    db.commit()
    db.expire_all()
    row = db.exec(select(FileDownload)).one()
    assert row.count == 2 and row.first_at == first.first_at and row.last_at >= row.first_at
    assert len(audit_of(db, "file.downloaded")) == 1 and len(outbox_of(db, "file.downloaded")) == 1

    view = files.sharing_view(db, world.staff_a, item.public_id)
    assert [(d["name"], d["email"], d["count"]) for d in view.downloads] == [
        ("Alice Client", "alice@client.example", 2)]


def test_previews_and_staff_downloads_are_not_counted(db, world, shared_pdf):
    item, doc = shared_pdf
    assert ft.open_file(db, world.client_a1, item.public_id, preview=True).content_type == "application/pdf"
    assert ft.open_file(db, world.staff_a, item.public_id).name == "report.pdf"
    assert ft.open_file(db, world.member_a, item.public_id, preview=True).previewable
    assert db.exec(select(FileDownload)).all() == [] and audit_of(db, "file.downloaded") == []


def test_preview_of_a_file_that_cannot_be_previewed_is_refused(db, world, shared_pdf):
    _, doc = shared_pdf
    for actor in (world.client_a1, world.staff_a):
        with pytest.raises(Forbidden, match="cannot be previewed"):
            ft.open_file(db, actor, doc.public_id, preview=True)
    assert db.exec(select(FileDownload)).all() == []
    dl = ft.open_file(db, world.client_a1, doc.public_id)  # downloading it is fine
    assert dl.content_type == "application/octet-stream" and dl.previewable is False


@pytest.mark.parametrize("who,error", [("client_a2", NotFound), ("client_b1", NotFound), ("staff_b", NotFound),
                                       ("anon", NotSignedIn)])
def test_others_cannot_open_a_file(db, world, shared_pdf, who, error):
    item, _ = shared_pdf
    for preview in (False, True):
        with pytest.raises(error):
            ft.open_file(db, getattr(world, who), item.public_id, preview=preview)
    assert db.exec(select(FileDownload)).all() == []


def test_open_file_refuses_folders_links_and_guesses(db, world, shared_pdf):
    folder = db.exec(select(FileItem).where(FileItem.kind == "folder")).one()
    link = files.add_link(db, world.staff_a, title="Site", url="https://example.com",
                          parent_public_id=folder.public_id)
    for actor in (world.client_a1, world.staff_a):
        for public_id in (folder.public_id, link.public_id, "fi_guessed", "", None):
            with pytest.raises(NotFound):
                ft.open_file(db, actor, public_id)


def test_downloads_stop_when_the_files_section_is_off(db, world, shared_pdf):
    item, _ = shared_pdf
    set_portal(db, world, files_on=False)
    with pytest.raises(NotFound):
        ft.open_file(db, world.client_a1, item.public_id)
    assert ft.open_file(db, world.staff_a, item.public_id).name == "report.pdf"


def test_each_client_has_their_own_download_record(db, world, store):
    item = upload(db, world.staff_a, "all.pdf", pdf())
    files.set_sharing(db, world.staff_a, item.public_id, inherit=False, all_clients=True, contact_public_ids=[])
    ft.open_file(db, world.client_a1, item.public_id)
    ft.open_file(db, world.client_a2, item.public_id)
    ft.open_file(db, world.client_a2, item.public_id)
    rows = {r.contact_id: r.count for r in db.exec(select(FileDownload)).all()}
    assert rows == {world.contact_a1.id: 1, world.contact_a2.id: 2}
    assert len(outbox_of(db, "file.downloaded")) == 2
    with pytest.raises(NotFound):
        ft.open_file(db, world.client_b1, item.public_id)
