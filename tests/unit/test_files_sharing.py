"""Shared files: who sees what (services/files/file_views.py, access/files.py),
sharing (set_sharing, sharing_view, contact_choices) and the staff operations in
services/files/files.py (folders, links, rename, move, delete). Built through the services."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from sqlmodel import select

from portal_app.errors import Forbidden, Invalid, NotFound, NotSignedIn
from portal_app.models import AuditEvent, ClientAccount, FileDownload, FileItem, FileShare, OutboxMessage
from portal_app.services.accounts.contacts import create_contact
from portal_app.services.accounts.invites import send_invite
from portal_app.services.files import file_transfer as ft
from portal_app.services.files import files
from portal_app.services.files.file_views import client_folder, staff_folder
from tests.support.file_samples import docx_bytes, png_bytes
from tests.support.uploads import audit_of, blobs, outbox_of, pdf, set_portal, upload


def share(db, staff, item, *, inherit=False, all_clients=False, contacts=(), notify=False):
    return files.set_sharing(db, staff, item.public_id, inherit=inherit, all_clients=all_clients,
                             contact_public_ids=[c.public_id for c in contacts], notify=notify)


def names(page) -> list[str]:
    return [r["name"] for r in page.rows]


def top(db, actor, **kw) -> list[str]:
    return names(client_folder(db, actor, **kw))


def inside(db, actor, folder, **kw) -> list[str]:
    return names(client_folder(db, actor, folder.public_id, **kw))


def can_open(db, actor, item) -> bool:
    try:
        ft.open_file(db, actor, item.public_id, preview=True)
        return True
    except NotFound:
        return False


@pytest.fixture
def tree(db, world, store):
    """
    A  Contracts/            shared with Alice
         signed.pdf          (inherits)
         private.pdf         own sharing: nobody
         for-bob.pdf         own sharing: Bob
         2024/               (inherits)
           q1.pdf
           Receipts/         (inherits)
             r1.png
       Everyone/             shared with all clients
         handbook.pdf
       Internal/             not shared
         draft.pdf
         alice-only.pdf      own sharing: Alice
         Deliverables/       own sharing: Alice
           logo.png
       Website (link)        shared with all clients
       price-list.pdf        not shared
    B  Beta docs/            shared with all of B's clients
         carol.pdf
    """
    s = world.staff_a
    t = SimpleNamespace()
    t.contracts = files.create_folder(db, s, name="Contracts")
    share(db, s, t.contracts, contacts=[world.contact_a1])
    t.signed = upload(db, s, "signed.pdf", pdf(), t.contracts)
    t.private = upload(db, s, "private.pdf", pdf(), t.contracts)
    share(db, s, t.private, inherit=False)
    t.for_bob = upload(db, s, "for-bob.pdf", pdf(), t.contracts)
    share(db, s, t.for_bob, inherit=False, contacts=[world.contact_a2])
    t.y2024 = files.create_folder(db, s, name="2024", parent_public_id=t.contracts.public_id)
    t.q1 = upload(db, s, "q1.pdf", pdf(), t.y2024)
    t.receipts = files.create_folder(db, s, name="Receipts", parent_public_id=t.y2024.public_id)
    t.r1 = upload(db, s, "r1.png", png_bytes(), t.receipts)
    t.everyone = files.create_folder(db, s, name="Everyone")
    share(db, s, t.everyone, all_clients=True)
    t.handbook = upload(db, s, "handbook.pdf", pdf(), t.everyone)
    t.internal = files.create_folder(db, s, name="Internal")
    t.draft = upload(db, s, "draft.pdf", pdf(), t.internal)
    t.alice_only = upload(db, s, "alice-only.pdf", pdf(), t.internal)
    share(db, s, t.alice_only, inherit=False, contacts=[world.contact_a1])
    t.deliverables = files.create_folder(db, s, name="Deliverables", parent_public_id=t.internal.public_id)
    share(db, s, t.deliverables, inherit=False, contacts=[world.contact_a1])
    t.logo = upload(db, s, "logo.png", png_bytes(), t.deliverables)
    t.website = files.add_link(db, s, title="Website", url="https://alpha.example.test/resources")
    share(db, s, t.website, all_clients=True)
    t.price_list = upload(db, s, "price-list.pdf", pdf())
    t.beta = files.create_folder(db, world.staff_b, name="Beta docs")
    share(db, world.staff_b, t.beta, all_clients=True)
    t.carol = upload(db, world.staff_b, "carol.pdf", pdf(), t.beta)
    db.commit()
    return t


# --- visibility --------------------------------------------------------------------------------

def test_each_client_sees_only_what_is_shared_with_them(db, world, tree):
    t = tree
    assert top(db, world.client_a1) == ["Contracts", "Deliverables", "Everyone", "alice-only.pdf", "Website"]
    assert top(db, world.client_a2) == ["Everyone", "for-bob.pdf", "Website"]
    assert top(db, world.client_b1) == ["Beta docs"]
    assert inside(db, world.client_a1, t.contracts) == ["2024", "signed.pdf"]
    assert inside(db, world.client_a1, t.y2024) == ["Receipts", "q1.pdf"]
    assert inside(db, world.client_a1, t.receipts) == ["r1.png"]
    assert inside(db, world.client_a1, t.deliverables) == ["logo.png"]
    assert inside(db, world.client_a2, t.everyone) == ["handbook.pdf"]
    assert inside(db, world.client_b1, t.beta) == ["carol.pdf"]


def test_open_file_follows_the_same_rules(db, world, tree):
    t = tree
    expected = {
        "client_a1": {"signed", "q1", "r1", "handbook", "alice_only", "logo"},
        "client_a2": {"handbook", "for_bob"},
        "client_b1": set(),
    }
    a_files = ["signed", "private", "for_bob", "q1", "r1", "handbook", "draft", "alice_only", "logo", "price_list"]
    for who, allowed in expected.items():
        actor = getattr(world, who)
        assert {n for n in a_files if can_open(db, actor, getattr(t, n))} == allowed, who
    assert can_open(db, world.client_b1, t.carol)
    assert not can_open(db, world.client_a1, t.carol)


@pytest.mark.parametrize("who,folder", [
    ("client_a2", "contracts"), ("client_a2", "y2024"), ("client_a2", "receipts"), ("client_a2", "internal"),
    ("client_a2", "deliverables"), ("client_a1", "internal"), ("client_b1", "everyone"),
    ("client_b1", "contracts"), ("client_a1", "beta"), ("client_a2", "beta"),
])
def test_client_folder_refuses_a_folder_not_shared_with_them(db, world, tree, who, folder):
    with pytest.raises(NotFound, match="not shared with you"):
        client_folder(db, getattr(world, who), getattr(tree, folder).public_id)


@pytest.mark.parametrize("guess", ["fi_guessed", "fi_" + "x" * 30, "' OR 1=1 --", "../../etc"])
def test_client_folder_refuses_guessed_ids(db, world, tree, guess):
    with pytest.raises(NotFound):
        client_folder(db, world.client_a1, guess)


def test_client_folder_refuses_a_file_or_link_as_a_folder(db, world, tree):
    for item in (tree.signed, tree.website):
        with pytest.raises(NotFound):
            client_folder(db, world.client_a1, item.public_id)


def test_breadcrumbs_stop_at_what_the_client_may_open(db, world, tree):
    t = tree
    page = client_folder(db, world.client_a1, t.receipts.public_id)
    assert [c["name"] for c in page.breadcrumbs] == ["Contracts", "2024", "Receipts"]
    assert page.folder_id == t.receipts.public_id and page.folder_name == "Receipts"
    # Deliverables is shared on its own: its unshared parent never shows
    page = client_folder(db, world.client_a1, t.deliverables.public_id)
    assert [c["name"] for c in page.breadcrumbs] == ["Deliverables"]
    assert "Internal" not in json.dumps(page.as_dict())
    staff = staff_folder(db, world.staff_a, t.deliverables.public_id)
    assert [c["name"] for c in staff.breadcrumbs] == ["Internal", "Deliverables"]


def test_client_search_covers_only_what_they_may_see(db, world, tree):
    assert top(db, world.client_a1, query="PDF") == ["alice-only.pdf", "handbook.pdf", "q1.pdf", "signed.pdf"]
    assert top(db, world.client_a2, query=".pdf") == ["for-bob.pdf", "handbook.pdf"]
    assert top(db, world.client_a1, query="draft") == []
    assert top(db, world.client_b1, query="pdf") == ["carol.pdf"]
    assert top(db, world.client_a1, query="%") == []  # not a wildcard


def test_all_clients_share_covers_every_client_of_the_workspace_only(db, world, tree):
    dave = create_contact(db, world.staff_a, {"first_name": "Dave", "last_name": "New", "email": "dave@c.example"})
    # staff of B sharing with "all clients" never reaches A's clients, and vice versa
    assert "Beta docs" not in top(db, world.client_a1) + top(db, world.client_a2)
    assert "Everyone" not in top(db, world.client_b1)
    assert "Website" not in top(db, world.client_b1)
    # a client added later is covered too (the rule is evaluated, not copied per contact)
    from portal_app.access import Client
    dave_actor = Client(world.ws_a.id, dave.id, 0, dave.email, dave.display_name)
    assert top(db, dave_actor) == ["Everyone", "Website"]


def test_opting_out_of_inheritance_hides_unless_shared_itself(db, world, tree):
    t = tree
    assert "private.pdf" not in inside(db, world.client_a1, t.contracts)
    share(db, world.staff_a, t.private, inherit=False, contacts=[world.contact_a1])
    assert inside(db, world.client_a1, t.contracts) == ["2024", "private.pdf", "signed.pdf"]
    assert "private.pdf" not in top(db, world.client_a1)  # in its (visible) folder, not at the top
    # back to inheriting: visible to whoever sees the folder, even with no own contacts
    share(db, world.staff_a, t.for_bob, inherit=True)
    assert "for-bob.pdf" in inside(db, world.client_a1, t.contracts)
    assert "for-bob.pdf" not in top(db, world.client_a2)
    assert not can_open(db, world.client_a2, t.for_bob)


def test_nested_folder_opting_out_hides_its_subtree(db, world, tree):
    t = tree
    share(db, world.staff_a, t.y2024, inherit=False)
    assert inside(db, world.client_a1, t.contracts) == ["signed.pdf"]
    for folder in (t.y2024, t.receipts):
        with pytest.raises(NotFound):
            client_folder(db, world.client_a1, folder.public_id)
    assert not can_open(db, world.client_a1, t.r1) and not can_open(db, world.client_a1, t.q1)
    share(db, world.staff_a, t.y2024, inherit=False, contacts=[world.contact_a2])
    assert top(db, world.client_a2) == ["2024", "Everyone", "for-bob.pdf", "Website"]
    assert inside(db, world.client_a2, t.receipts) == ["r1.png"]
    assert can_open(db, world.client_a2, t.r1)


def test_unsharing_a_folder_takes_everything_inside_away(db, world, tree):
    t = tree
    share(db, world.staff_a, t.contracts, contacts=[])
    assert top(db, world.client_a1) == ["Deliverables", "Everyone", "alice-only.pdf", "Website"]
    for item in (t.signed, t.q1, t.r1):
        assert not can_open(db, world.client_a1, item)
    with pytest.raises(NotFound):
        client_folder(db, world.client_a1, t.receipts.public_id)


def test_moving_changes_what_is_inherited(db, world, tree):
    t = tree
    files.move_item(db, world.staff_a, t.draft.public_id, t.everyone.public_id)
    assert inside(db, world.client_a2, t.everyone) == ["draft.pdf", "handbook.pdf"]
    files.move_item(db, world.staff_a, t.y2024.public_id, t.internal.public_id)
    assert inside(db, world.client_a1, t.contracts) == ["signed.pdf"]
    assert not can_open(db, world.client_a1, t.q1)


def test_files_section_off_hides_everything_from_clients(db, world, tree):
    set_portal(db, world, files_on=False)
    for actor in (world.client_a1, world.client_a2):
        with pytest.raises(NotFound):
            client_folder(db, actor)
        with pytest.raises(NotFound):
            client_folder(db, actor, tree.everyone.public_id)
        with pytest.raises(NotFound):
            ft.open_file(db, actor, tree.handbook.public_id)
    assert top(db, world.client_b1) == ["Beta docs"]  # B's section is its own
    assert "Everyone" in names(staff_folder(db, world.staff_a))


@pytest.mark.parametrize("who,error", [("staff_a", Forbidden), ("member_a", Forbidden), ("anon", NotSignedIn)])
def test_client_folder_is_for_clients(db, world, who, error):
    with pytest.raises(error):
        client_folder(db, getattr(world, who))


# --- a client's own upload folder ------------------------------------------------------------

@pytest.fixture
def alice_upload(db, world, store):
    set_portal(db, world, uploads=True)
    item = upload(db, world.client_a1, "passport.pdf", pdf())
    db.commit()
    return item, db.get(FileItem, item.parent_id)


def test_own_upload_folder_is_visible_only_to_its_client(db, world, alice_upload):
    item, folder = alice_upload
    assert top(db, world.client_a1) == ["Your uploads"]  # (staff see "From Alice Client")
    page = client_folder(db, world.client_a1, folder.public_id)
    assert names(page) == ["passport.pdf"] and page.extra["upload_folder"] == folder.public_id
    assert client_folder(db, world.client_a1).extra["can_upload"] is True
    assert top(db, world.client_a2) == [] and client_folder(db, world.client_a2).extra["upload_folder"] == ""
    for actor in (world.client_a2, world.client_b1):
        with pytest.raises(NotFound):
            client_folder(db, actor, folder.public_id)
        with pytest.raises(NotFound):
            ft.open_file(db, actor, item.public_id)
        assert client_folder(db, actor, query="passport").rows == []
        assert client_folder(db, actor, query="From").rows == []
    row = next(r for r in staff_folder(db, world.staff_a).rows if r["id"] == folder.public_id)
    assert row["sharing"] == "Only Alice Client" and row["client_folder"] is True


def test_sharing_a_clients_own_folder_is_refused(db, world, alice_upload):
    item, folder = alice_upload
    for target in (folder, item):
        with pytest.raises(Invalid, match="shared only with that client"):
            share(db, world.staff_a, target, all_clients=True, contacts=[world.contact_a2])
    assert db.exec(select(FileShare)).all() == []
    db.expire_all()
    assert db.get(FileItem, folder.id).shared_with_all is False
    assert top(db, world.client_a2) == []


def test_a_file_moved_into_a_clients_folder_is_theirs_alone(db, world, alice_upload, store):
    _, folder = alice_upload
    # shared with all and with Bob himself, then put into Alice's folder
    contract = upload(db, world.staff_a, "contract.pdf", pdf())
    share(db, world.staff_a, contract, all_clients=True, contacts=[world.contact_a2])
    assert "contract.pdf" in top(db, world.client_a2)
    files.move_item(db, world.staff_a, contract.public_id, folder.public_id)
    assert contract.owner_contact_id == world.contact_a1.id
    assert top(db, world.client_a2) == [] and not can_open(db, world.client_a2, contract)
    assert inside(db, world.client_a1, folder) == ["contract.pdf", "passport.pdf"]
    # a folder staff make inside it belongs to her too
    sub = files.create_folder(db, world.staff_a, name="Replies", parent_public_id=folder.public_id)
    link = files.add_link(db, world.staff_a, title="Guide", url="https://example.com/g",
                          parent_public_id=sub.public_id)
    assert sub.owner_contact_id == link.owner_contact_id == world.contact_a1.id
    assert inside(db, world.client_a1, sub) == ["Guide"]
    with pytest.raises(NotFound):
        client_folder(db, world.client_a2, sub.public_id)
    # moving it back out makes it an ordinary shared item again
    files.move_item(db, world.staff_a, contract.public_id, None)
    assert contract.owner_contact_id is None
    assert "contract.pdf" in top(db, world.client_a2)


def test_client_folder_keeps_its_place(db, world, alice_upload):
    _, folder = alice_upload
    other = files.create_folder(db, world.staff_a, name="Other")
    with pytest.raises(Invalid, match="stays at the top level"):
        files.move_item(db, world.staff_a, folder.public_id, other.public_id)
    with pytest.raises(Invalid, match="into or out of a client's upload folder"):
        files.move_item(db, world.staff_a, other.public_id, folder.public_id)
    sub = files.create_folder(db, world.staff_a, name="Sub", parent_public_id=folder.public_id)
    with pytest.raises(Invalid, match="into or out of a client's upload folder"):
        files.move_item(db, world.staff_a, sub.public_id, None)
    db.expire_all()
    assert db.get(FileItem, folder.id).parent_id is None and db.get(FileItem, other.id).parent_id is None


# --- staff listing and denials --------------------------------------------------------------------

def test_staff_listing_shows_everything_with_sharing_labels(db, world, tree):
    page = staff_folder(db, world.staff_a)
    labels = {r["name"]: r["sharing"] for r in page.rows}
    assert labels == {"Contracts": "1 contact", "Everyone": "All clients", "Internal": "Not shared",
                      "price-list.pdf": "Not shared", "Website": "All clients"}
    inner = {r["name"]: r["sharing"] for r in staff_folder(db, world.staff_a, tree.contracts.public_id).rows}
    assert inner == {"2024": "As its folder", "for-bob.pdf": "1 contact", "private.pdf": "Not shared",
                     "signed.pdf": "As its folder"}
    share(db, world.staff_a, tree.everyone, all_clients=True, contacts=[world.contact_a1, world.contact_a2])
    row = next(r for r in staff_folder(db, world.staff_a).rows if r["name"] == "Everyone")
    assert row["sharing"] == "All clients + 2 contacts"
    assert names(staff_folder(db, world.staff_b)) == ["Beta docs"]
    # staff search spans the workspace, never another one
    assert names(staff_folder(db, world.staff_a, query="pdf")) == [
        "alice-only.pdf", "draft.pdf", "for-bob.pdf", "handbook.pdf", "price-list.pdf", "private.pdf", "q1.pdf",
        "signed.pdf"]
    assert names(staff_folder(db, world.staff_b, query="pdf")) == ["carol.pdf"]


def test_search_takes_underscore_and_percent_literally(db, world, store):
    for n in ("q3_report.pdf", "q3 report.pdf", "q3-report.pdf", "50% off.pdf", "500 off.pdf"):
        upload(db, world.staff_a, n, pdf())
    assert names(staff_folder(db, world.staff_a, query="q3_r")) == ["q3_report.pdf"]
    assert names(staff_folder(db, world.staff_a, query="50%")) == ["50% off.pdf"]
    assert sorted(names(staff_folder(db, world.staff_a, query="Q3"))) == [
        "q3 report.pdf", "q3-report.pdf", "q3_report.pdf"]


@pytest.mark.parametrize("who,error", [("client_a1", Forbidden), ("anon", NotSignedIn)])
def test_staff_operations_are_for_staff(db, world, tree, who, error):
    actor, t = getattr(world, who), tree
    calls = [
        lambda: staff_folder(db, actor),
        lambda: files.create_folder(db, actor, name="Mine"),
        lambda: files.add_link(db, actor, title="x", url="https://example.com"),
        lambda: files.rename_item(db, actor, t.signed.public_id, "hacked.pdf"),
        lambda: files.move_item(db, actor, t.signed.public_id, None),
        lambda: files.delete_item(db, actor, t.contracts.public_id),
        lambda: files.sharing_view(db, actor, t.contracts.public_id),
        lambda: share(db, actor, t.internal, all_clients=True),
        lambda: files.contact_choices(db, actor),
    ]
    for call in calls:
        with pytest.raises(error):
            call()
    db.expire_all()
    assert db.get(FileItem, t.signed.id).name == "signed.pdf" and db.get(FileItem, t.signed.id).parent_id
    assert db.get(FileItem, t.internal.id).shared_with_all is False


def test_staff_of_another_workspace_cannot_touch_a_files(db, world, tree):
    t, b = tree, world.staff_b
    calls = [
        lambda: staff_folder(db, b, t.contracts.public_id),
        lambda: files.create_folder(db, b, name="In A", parent_public_id=t.contracts.public_id),
        lambda: files.add_link(db, b, title="x", url="https://example.com", parent_public_id=t.contracts.public_id),
        lambda: files.rename_item(db, b, t.signed.public_id, "hacked.pdf"),
        lambda: files.move_item(db, b, t.signed.public_id, t.beta.public_id),
        lambda: files.move_item(db, b, t.carol.public_id, t.contracts.public_id),
        lambda: files.move_item(db, world.staff_a, t.signed.public_id, t.beta.public_id),
        lambda: files.delete_item(db, b, t.contracts.public_id),
        lambda: files.sharing_view(db, b, t.contracts.public_id),
        lambda: share(db, b, t.internal, all_clients=True),
        lambda: share(db, b, t.beta, contacts=[world.contact_a1]),  # A's contact, B's folder
        lambda: ft.open_file(db, b, t.signed.public_id),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    db.expire_all()
    assert db.get(FileItem, t.signed.id).name == "signed.pdf"
    assert db.get(FileItem, t.signed.id).parent_id == t.contracts.id
    assert db.get(FileItem, t.carol.id).parent_id == t.beta.id
    assert db.exec(select(FileShare).where(FileShare.item_id == t.beta.id)).all() == []
    assert top(db, world.client_a1)[0] == "Contracts"


def test_member_manages_files(db, world, tree):
    folder = files.create_folder(db, world.member_a, name="By member")
    share(db, world.member_a, folder, contacts=[world.contact_a2])
    assert "By member" in top(db, world.client_a2)


# --- folders, links, rename ------------------------------------------------------------------

def test_create_folder_and_link(db, world):
    folder = files.create_folder(db, world.staff_a, name="  Brand assets ")
    sub = files.create_folder(db, world.staff_a, name="Logos", parent_public_id=folder.public_id)
    link = files.add_link(db, world.staff_a, title="Style guide", url="https://brand.example.com/guide?v=2#top",
                          description="Colors\nand fonts", parent_public_id=sub.public_id)
    assert (folder.name, folder.kind, folder.parent_id, folder.workspace_id) == (
        "Brand assets", "folder", None, world.ws_a.id)
    assert sub.parent_id == folder.id and link.parent_id == sub.id
    assert (link.kind, link.name, link.url, link.description) == (
        "link", "Style guide", "https://brand.example.com/guide?v=2#top", "Colors\nand fonts")
    assert link.created_by_user_id == world.staff_a.user_id and link.size == 0 and link.storage_key is None
    assert [e.subject_id for e in audit_of(db, "folder.created")] == [folder.public_id, sub.public_id]
    event = audit_of(db, "link.added")[0]
    assert json.loads(event.detail) == {"name": "Style guide", "url": "https://brand.example.com/guide?v=2#top"}
    row = staff_folder(db, world.staff_a, sub.public_id).rows[0]
    assert (row["kind"], row["url"], row["type"], row["download_url"]) == ("link", link.url, "Link", "")


def test_create_in_a_file_or_missing_folder_is_refused(db, world, store):
    f = upload(db, world.staff_a, "a.pdf", pdf())
    for parent in (f.public_id, "fi_missing"):
        with pytest.raises(NotFound):
            files.create_folder(db, world.staff_a, name="x", parent_public_id=parent)
        with pytest.raises(NotFound):
            files.add_link(db, world.staff_a, title="x", url="https://e.com", parent_public_id=parent)


@pytest.mark.parametrize("url", [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "  javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "ftp://files.example.com/pub/x.zip",
    "file:///etc/passwd",
    "mailto:a@example.com",
    "https://",
    "http:///no-host",
    "//example.com/path",
    "example.com/page",
    "",
    "   ",
    "http://[::1",
    "https://exa\u202emple.com",
    "https://example.com/\x00",
    "https://example.com/" + "a" * 2000,
])
def test_bad_link_urls_are_refused(db, world, url):
    with pytest.raises(Invalid) as err:
        files.add_link(db, world.staff_a, title="Link", url=url)
    assert err.value.field == "url"
    assert db.exec(select(FileItem)).all() == []


@pytest.mark.parametrize("url", ["https://example.com", "http://localhost:8080/x", "HTTPS://Example.com/A?b=c"])
def test_good_link_urls(db, world, url):
    assert files.add_link(db, world.staff_a, title="Link", url=url).url == url


@pytest.mark.parametrize("name,match", [
    ("a/b", "cannot contain /"),
    ("../../etc/passwd", "cannot contain /"),
    ("a\\b", "cannot contain /"),
    ("", "is required"),
    ("    ", "is required"),
    (None, "is required"),
    ("x" * 256, "can be at most 255 characters"),
    ("..", "cannot be \\. or \\.\\."),
    (".", "cannot be \\. or \\.\\."),
    ("evil\u202efdp.exe", "characters that are not allowed"),
    ("nul\x00byte", "characters that are not allowed"),
])
def test_bad_names_are_refused(db, world, store, name, match):
    folder = files.create_folder(db, world.staff_a, name="Folder")
    doc = upload(db, world.staff_a, "doc.pdf", pdf())
    for item in (folder, doc):
        with pytest.raises(Invalid, match=match) as err:
            files.rename_item(db, world.staff_a, item.public_id, name)
        assert err.value.field == "name"
    with pytest.raises(Invalid, match=match):
        files.create_folder(db, world.staff_a, name=name)
    with pytest.raises(Invalid, match=match):
        files.add_link(db, world.staff_a, title=name, url="https://example.com")
    db.expire_all()
    assert db.get(FileItem, folder.id).name == "Folder" and db.get(FileItem, doc.id).name == "doc.pdf"
    assert audit_of(db, "file.renamed") == []


def test_rename(db, world, store):
    folder = files.create_folder(db, world.staff_a, name="Old")
    doc = upload(db, world.staff_a, "draft.pdf", pdf())
    before = doc.updated_at
    files.rename_item(db, world.staff_a, folder.public_id, "  New name ")
    files.rename_item(db, world.staff_a, doc.public_id, "Final version.pdf.")
    files.rename_item(db, world.member_a, doc.public_id, "x" * 255)
    assert folder.name == "New name"
    assert doc.name == "x" * 255 and doc.updated_at >= before
    details = [json.loads(e.detail) for e in audit_of(db, "file.renamed")]
    assert details == [{"name": "New name", "old_name": "Old"},
                       {"name": "Final version.pdf", "old_name": "draft.pdf"},
                       {"name": "x" * 255, "old_name": "Final version.pdf"}]


# --- move ------------------------------------------------------------------------------------

def test_move(db, world, store):
    a = files.create_folder(db, world.staff_a, name="A")
    b = files.create_folder(db, world.staff_a, name="B", parent_public_id=a.public_id)
    c = files.create_folder(db, world.staff_a, name="C", parent_public_id=b.public_id)
    d = files.create_folder(db, world.staff_a, name="D")
    doc = upload(db, world.staff_a, "doc.pdf", pdf(), a)
    files.move_item(db, world.staff_a, doc.public_id, c.public_id)
    assert doc.parent_id == c.id
    files.move_item(db, world.staff_a, doc.public_id, None)
    assert doc.parent_id is None
    files.move_item(db, world.staff_a, b.public_id, d.public_id)
    assert b.parent_id == d.id and c.parent_id == b.id
    assert [json.loads(e.detail)["to"] for e in audit_of(db, "file.moved")] == ["C", "(top level)", "D"]
    for target in (b, c):  # into itself or below itself
        with pytest.raises(Invalid, match="cannot be moved into itself"):
            files.move_item(db, world.staff_a, b.public_id, target.public_id)
    with pytest.raises(Invalid, match="cannot be moved into itself"):
        files.move_item(db, world.staff_a, d.public_id, c.public_id)
    with pytest.raises(NotFound):  # into a file
        files.move_item(db, world.staff_a, a.public_id, doc.public_id)
    db.expire_all()
    assert db.get(FileItem, b.id).parent_id == d.id and db.get(FileItem, d.id).parent_id is None
    page = staff_folder(db, world.staff_a, c.public_id)
    assert [x["name"] for x in page.breadcrumbs] == ["D", "B", "C"]
    targets = [t["name"] for t in page.extra["move_targets"]]
    assert targets == ["A", "D", "D / B", "D / B / C"]


# --- delete ----------------------------------------------------------------------------------

def test_delete_folder_recursively(db, world, store):
    set_portal(db, world, uploads=True)
    top_folder = files.create_folder(db, world.staff_a, name="Project")
    sub = files.create_folder(db, world.staff_a, name="Sub", parent_public_id=top_folder.public_id)
    deeper = files.create_folder(db, world.staff_a, name="Deeper", parent_public_id=sub.public_id)
    f1 = upload(db, world.staff_a, "one.pdf", pdf(), top_folder)
    f2 = upload(db, world.staff_a, "two.png", png_bytes(), sub)
    f3 = upload(db, world.staff_a, "three.docx", docx_bytes(), deeper)
    link = files.add_link(db, world.staff_a, title="Ref", url="https://example.com", parent_public_id=deeper.public_id)
    share(db, world.staff_a, top_folder, contacts=[world.contact_a1, world.contact_a2])
    share(db, world.staff_a, f3, inherit=False, contacts=[world.contact_a2])
    ft.open_file(db, world.client_a1, f1.public_id)
    ft.open_file(db, world.client_a2, f3.public_id)
    keep = upload(db, world.staff_a, "keep.pdf", pdf())
    share(db, world.staff_a, keep, contacts=[world.contact_a1])
    ft.open_file(db, world.client_a1, keep.public_id)
    b_file = upload(db, world.staff_b, "b.pdf", pdf())
    db.commit()
    doomed_keys = {f1.storage_key, f2.storage_key, f3.storage_key}
    doomed_ids = {x.id for x in (top_folder, sub, deeper, f1, f2, f3, link)}

    assert files.delete_item(db, world.staff_a, top_folder.public_id) == 7
    db.commit()
    left = {i.id for i in db.exec(select(FileItem)).all()}
    assert left == {keep.id, b_file.id} and not (left & doomed_ids)
    assert {s.item_id for s in db.exec(select(FileShare)).all()} == {keep.id}
    assert {d.item_id for d in db.exec(select(FileDownload)).all()} == {keep.id}
    assert {p["key"] for p in outbox_of(db, "storage.delete")} == doomed_keys
    assert len(outbox_of(db, "storage.delete")) == 3
    event = audit_of(db, "file.deleted")[-1]
    assert event.subject_id == top_folder.public_id
    assert json.loads(event.detail) == {"name": "Project", "items": 7, "kind": "folder"}
    # blobs go only when the worker runs, after the commit
    assert all((store / k).exists() for k in doomed_keys)
    from portal_app.worker import run_once

    run_once()
    assert blobs(store) == sorted([keep.storage_key, b_file.storage_key])
    assert top(db, world.client_a1) == ["keep.pdf"]


def test_delete_single_items(db, world, store):
    doc = upload(db, world.staff_a, "doc.pdf", pdf())
    link = files.add_link(db, world.staff_a, title="Ref", url="https://example.com")
    empty = files.create_folder(db, world.staff_a, name="Empty")
    share(db, world.staff_a, doc, contacts=[world.contact_a1])
    assert files.delete_item(db, world.member_a, doc.public_id) == 1
    assert files.delete_item(db, world.staff_a, link.public_id) == 1
    assert files.delete_item(db, world.staff_a, empty.public_id) == 1
    db.commit()
    assert db.exec(select(FileItem)).all() == [] and db.exec(select(FileShare)).all() == []
    assert outbox_of(db, "storage.delete") == [{"key": doc.storage_key}]
    with pytest.raises(NotFound):
        files.delete_item(db, world.staff_a, doc.public_id)


def test_delete_a_clients_upload_folder(db, world, store):
    set_portal(db, world, uploads=True)
    item = upload(db, world.client_a1, "scan.pdf", pdf())
    old_folder = db.get(FileItem, item.parent_id).public_id
    assert files.delete_item(db, world.staff_a, old_folder) == 2
    db.commit()
    assert db.exec(select(FileItem)).all() == []
    # the next upload makes a new folder
    again = upload(db, world.client_a1, "scan2.pdf", pdf())
    folder = db.get(FileItem, again.parent_id)
    assert folder.public_id != old_folder and folder.name == "From Alice Client"
    assert top(db, world.client_a1) == ["Your uploads"]  # (staff see "From Alice Client")


# --- sharing ---------------------------------------------------------------------------------

def test_set_sharing_adds_and_removes_contacts(db, world, store):
    folder = files.create_folder(db, world.staff_a, name="Deals")
    view = share(db, world.staff_a, folder, contacts=[world.contact_a1, world.contact_a2])
    assert sorted(c["email"] for c in view.contacts) == ["alice@client.example", "bob@client.example"]
    assert (view.inherit, view.all_clients, view.client_folder, view.in_folder) == (False, False, False, False)
    assert {s.contact_id for s in db.exec(select(FileShare)).all()} == {world.contact_a1.id, world.contact_a2.id}
    shared = outbox_of(db, "file.shared")
    assert sorted(shared, key=lambda p: p["contact"]) == sorted([
        {"item": folder.public_id, "kind": "folder", "contact": world.contact_a1.public_id},
        {"item": folder.public_id, "kind": "folder", "contact": world.contact_a2.public_id}],
        key=lambda p: p["contact"])

    view = share(db, world.staff_a, folder, contacts=[world.contact_a2])
    assert [c["email"] for c in view.contacts] == ["bob@client.example"]
    assert {s.contact_id for s in db.exec(select(FileShare)).all()} == {world.contact_a2.id}
    assert len(outbox_of(db, "file.shared")) == 2  # Bob already had it: no new event
    assert top(db, world.client_a1) == [] and top(db, world.client_a2) == ["Deals"]

    share(db, world.staff_a, folder, all_clients=True, contacts=[world.contact_a2])
    share(db, world.staff_a, folder, all_clients=True, contacts=[world.contact_a2])
    assert outbox_of(db, "file.shared")[2:] == [{"item": folder.public_id, "kind": "folder",
                                                 "audience": "all_clients"}]
    details = [json.loads(e.detail) for e in audit_of(db, "file.sharing_changed")]
    details[0]["added"].sort()
    assert details[0] == {"name": "Deals", "inherit": False, "all_clients": False,
                          "added": ["alice@client.example", "bob@client.example"], "removed": 0}
    assert details[1] == {"name": "Deals", "inherit": False, "all_clients": False, "added": [], "removed": 1}
    assert details[2]["all_clients"] is True
    assert all(e.actor_label == "owner@alpha.example" for e in audit_of(db, "file.sharing_changed"))
    assert outbox_of(db, "email") == []  # no notify, no email


def test_inherit_only_applies_inside_a_folder(db, world, store):
    doc = upload(db, world.staff_a, "top.pdf", pdf())
    view = share(db, world.staff_a, doc, inherit=True)
    assert view.inherit is False and doc.inherit_sharing is False
    folder = files.create_folder(db, world.staff_a, name="F")
    inner = upload(db, world.staff_a, "inner.pdf", pdf(), folder)
    view = files.sharing_view(db, world.staff_a, inner.public_id)
    assert (view.inherit, view.in_folder, view.folder_name) == (True, True, "F")


def test_notify_emails_only_contacts_with_an_active_account(db, world, store):
    s = world.staff_a
    dave = create_contact(db, s, {"first_name": "Dave", "last_name": "NoAccount", "email": "dave@c.example"})
    erin = create_contact(db, s, {"first_name": "Erin", "last_name": "Invited", "email": "erin@c.example"})
    send_invite(db, s, erin.public_id)
    assert db.exec(select(ClientAccount).where(ClientAccount.contact_id == erin.id)).one().status == "invited"
    before = len(outbox_of(db, "email"))
    doc = upload(db, s, "welcome.pdf", pdf())
    share(db, s, doc, contacts=[world.contact_a1, dave, erin], notify=True)
    mails = outbox_of(db, "email")[before:]
    assert [m["to"] for m in mails] == ["alice@client.example"]
    assert mails[0]["subject"] == "Alpha Studio shared a file with you"
    assert "welcome.pdf" in mails[0]["text"] and "https://alpha.example.test/files" in mails[0]["text"]
    assert len(outbox_of(db, "file.shared")) == 3  # every new contact gets the event
    # notifying again tells only the newly added
    share(db, s, doc, contacts=[world.contact_a1, dave, erin, world.contact_a2], notify=True)
    assert sorted(m["to"] for m in outbox_of(db, "email")[before:]) == ["alice@client.example", "bob@client.example"]


def test_set_sharing_refuses_contacts_it_cannot_find(db, world, store):
    doc = upload(db, world.staff_a, "doc.pdf", pdf())
    for contact_ids in ([world.contact_b1.public_id], [world.contact_a1.public_id, "ct_guessed"]):
        with pytest.raises(NotFound):
            files.set_sharing(db, world.staff_a, doc.public_id, inherit=False, all_clients=True,
                              contact_public_ids=contact_ids, notify=True)
    db.expire_all()
    assert db.exec(select(FileShare)).all() == [] and db.get(FileItem, doc.id).shared_with_all is False
    assert outbox_of(db, "file.shared") == [] and outbox_of(db, "email") == []
    # the same contact twice is one share
    share(db, world.staff_a, doc, contacts=[world.contact_a1, world.contact_a1])
    assert len(db.exec(select(FileShare)).all()) == 1


def test_contact_choices(db, world):
    s = world.staff_a
    create_contact(db, s, {"first_name": "Zed", "last_name": "Alias", "email": "zed@c.example", "company": "Acme"})
    all_a = files.contact_choices(db, s)
    assert [c["name"] for c in all_a] == ["Alice Client", "Bob Client", "Zed Alias"]
    assert [c["name"] for c in files.contact_choices(db, s, "ALI")] == ["Alice Client", "Zed Alias"]
    assert [c["email"] for c in files.contact_choices(db, s, "acme")] == ["zed@c.example"]
    assert files.contact_choices(db, s, "carol") == []
    assert files.contact_choices(db, s, "%") == [] and files.contact_choices(db, s, "_") == []
    assert [c["name"] for c in files.contact_choices(db, world.staff_b)] == ["Carol Client"]
    assert len(files.contact_choices(db, s, limit=2)) == 2
    assert set(all_a[0]) == {"public_id", "name", "email"}


def test_sharing_events_are_in_the_outbox_of_the_right_workspace(db, world, store):
    doc = upload(db, world.staff_b, "b.pdf", pdf())
    share(db, world.staff_b, doc, contacts=[world.contact_b1], notify=True)
    msgs = db.exec(select(OutboxMessage).where(OutboxMessage.kind.in_(["file.shared", "email"]))).all()
    assert msgs and {m.workspace_id for m in msgs} == {world.ws_b.id}
    assert json.loads([m for m in msgs if m.kind == "email"][0].payload)["subject"] == \
        "Beta Books shared a file with you"
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "file.sharing_changed")).one().workspace_id == \
        world.ws_b.id


def test_sharing_view_says_who_can_open_an_inherited_item(db, world):
    from portal_app.services.files import files as files_service

    outer = files_service.create_folder(db, world.staff_a, name="Outer")
    inner = files_service.create_folder(db, world.staff_a, name="Inner", parent_public_id=outer.public_id)
    link = files_service.add_link(db, world.staff_a, title="Deep link", url="https://example.com/x",
                                  parent_public_id=inner.public_id)
    assert files_service.sharing_view(db, world.staff_a, link.public_id).effective == "Nobody yet"
    files_service.set_sharing(db, world.staff_a, outer.public_id, inherit=False, all_clients=True,
                              contact_public_ids=[world.contact_a1.public_id])
    view = files_service.sharing_view(db, world.staff_a, link.public_id)
    assert view.inherit and view.effective == "All clients, Alice Client"
    files_service.set_sharing(db, world.staff_a, inner.public_id, inherit=False, all_clients=False,
                              contact_public_ids=[world.contact_a2.public_id])
    assert files_service.sharing_view(db, world.staff_a, link.public_id).effective == "Bob Client"


def test_home_card_counts_what_the_client_can_open(db, world):
    from portal_app.services.files import files as files_service
    from portal_app.services.portal.portal_home import home_summary

    def files_text(client):
        return next(s.empty_text for s in home_summary(db, client)[1] if s.key == "files")

    assert files_text(world.client_a1) == "No files have been shared with you yet."
    link = files_service.add_link(db, world.staff_a, title="Brief", url="https://example.com/brief")
    files_service.set_sharing(db, world.staff_a, link.public_id, inherit=False, all_clients=False,
                              contact_public_ids=[world.contact_a1.public_id])
    assert files_text(world.client_a1) == "1 file or link is shared with you."
    assert files_text(world.client_a2) == "No files have been shared with you yet."


def test_contact_record_lists_what_is_shared_with_the_contact(db, world):
    from portal_app.services.files import files as files_service
    from portal_app.services.portal.staff_views import contact_record

    folder = files_service.create_folder(db, world.staff_a, name="For Alice")
    link = files_service.add_link(db, world.staff_a, title="Alice's link", url="https://example.com/a",
                                  parent_public_id=folder.public_id)
    files_service.set_sharing(db, world.staff_a, folder.public_id, inherit=False, all_clients=False,
                              contact_public_ids=[world.contact_a1.public_id])
    files_service.set_sharing(db, world.staff_a, link.public_id, inherit=False, all_clients=False,
                              contact_public_ids=[world.contact_a1.public_id])
    alice = contact_record(db, world.staff_a, world.contact_a1.public_id)["files"]
    assert alice["shared_total"] == 2 and {f["name"] for f in alice["shared"]} == {"For Alice", "Alice's link"}
    assert {f["href"] for f in alice["shared"]} == {f"/staff/files?folder={folder.public_id}"}
    assert contact_record(db, world.staff_a, world.contact_a2.public_id)["files"]["shared"] == []


def test_contact_record_shows_the_newest_shares_their_total_and_the_upload_folder(db, world, store):
    from portal_app.services.files import files as files_service
    from portal_app.services.portal.staff_views import contact_record

    set_portal(db, world, uploads=True)
    assert contact_record(db, world.staff_a, world.contact_a1.public_id)["files"] == {
        "shared": [], "shared_total": 0, "upload_folder": ""}
    own = upload(db, world.client_a1, "from-alice.pdf", pdf())
    folder = files_service.create_folder(db, world.staff_a, name="Inside")
    shared = [upload(db, world.staff_a, f"f{i}.pdf", pdf(i), folder if i % 2 else None) for i in range(10)]
    for item in shared:  # the first one with Bob too (his share is not Alice's)
        share(db, world.staff_a, item, contacts=[world.contact_a1, world.contact_a2] if item is shared[0]
              else [world.contact_a1])
    db.commit()
    alice = contact_record(db, world.staff_a, world.contact_a1.public_id)["files"]
    assert alice["shared_total"] == 10 and alice["upload_folder"] == db.get(FileItem, own.parent_id).public_id
    assert [f["name"] for f in alice["shared"]] == [f"f{i}.pdf" for i in range(9, 1, -1)]  # the 8 newest
    assert {f["href"] for f in alice["shared"]} == {f"/staff/files?folder={folder.public_id}", "/staff/files"}
    bob = contact_record(db, world.staff_a, world.contact_a2.public_id)["files"]
    assert (bob["shared_total"], bob["upload_folder"], [f["name"] for f in bob["shared"]]) == (1, "", ["f0.pdf"])
    with pytest.raises(NotFound):  # another workspace's contact
        contact_record(db, world.staff_b, world.contact_a1.public_id)
