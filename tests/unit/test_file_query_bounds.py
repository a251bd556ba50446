"""Listings of shared files run a fixed number of SQL statements however many files,
folders and shares exist (docs/design.md §7), and paginate (25 a page) with folders first in
every sort order."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from portal_app.db import get_engine
from portal_app.errors import Invalid
from portal_app.models import FileItem
from portal_app.services.files import file_transfer as ft
from portal_app.services.files import files
from portal_app.services.files.file_views import PER_PAGE, client_folder, staff_folder
from portal_app.services.files.filetypes import human_size
from tests.support.file_samples import png_bytes
from tests.support.uploads import limits, pdf, set_portal, upload


@contextmanager
def count_queries():
    """Every statement sent to the database (the approach of test_query_bounds.py)."""
    counter = {"n": 0, "sql": []}

    def before(conn, cursor, statement, params, context, executemany):
        counter["n"] += 1
        counter["sql"].append(statement.split("\n")[0][:120])

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)


def measure(fn):
    """Run one listing in a fresh session (nothing cached from building the data)."""
    with Session(get_engine(), expire_on_commit=False) as s:
        with count_queries() as counter:
            page = fn(s)
        s.rollback()
    return counter, page


def share(db, staff, item, *, inherit=False, all_clients=False, contacts=()):
    files.set_sharing(db, staff, item.public_id, inherit=inherit, all_clients=all_clients,
                      contact_public_ids=[c.public_id for c in contacts])


def _grow(db, world, f, n: int, tag: str) -> None:
    """n more files spread over every folder, with their own shares, plus a few folders."""
    s = world.staff_a
    targets = [None, f.shared, f.alice, f.sub, f.deep, f.internal]
    for i in range(n):
        parent = targets[i % len(targets)]
        item = upload(db, s, f"{tag}-{i:02d}.pdf", pdf(i), parent)
        if i % 4 == 0:
            share(db, s, item, inherit=False, contacts=[world.contact_a1] if i % 8 == 0 else [world.contact_a2])
        elif i % 4 == 1:
            share(db, s, item, inherit=False, all_clients=True)
    for j in range(max(1, n // 10)):
        extra = files.create_folder(db, s, name=f"{tag} folder {j}", parent_public_id=f.shared.public_id)
        upload(db, s, f"{tag}-in-{j}.png", png_bytes(), extra)
        if j % 2:
            share(db, s, extra, inherit=False, contacts=[world.contact_a1, world.contact_a2])
    upload(db, world.client_a1, f"{tag}-from-alice.pdf", pdf())
    link = files.add_link(db, s, title=f"{tag} link", url="https://example.com", parent_public_id=f.alice.public_id)
    share(db, s, link, inherit=True)
    db.commit()


@pytest.fixture
def layout(db, world, store):
    s = world.staff_a
    set_portal(db, world, uploads=True)
    f = type("Folders", (), {})()
    f.shared = files.create_folder(db, s, name="Shared")
    share(db, s, f.shared, all_clients=True)
    f.alice = files.create_folder(db, s, name="For Alice")
    share(db, s, f.alice, contacts=[world.contact_a1])
    f.sub = files.create_folder(db, s, name="Sub", parent_public_id=f.shared.public_id)
    f.deep = files.create_folder(db, s, name="Deep", parent_public_id=f.sub.public_id)
    f.internal = files.create_folder(db, s, name="Internal")
    upload(db, s, "deep.pdf", pdf(), f.deep)
    f.own = None
    _grow(db, world, f, 6, "few")
    f.own = db.exec(select(FileItem).where(FileItem.owner_contact_id == world.contact_a1.id,
                                           FileItem.parent_id.is_(None))).one()
    # workspace B has files too (never counted in A's listings)
    for i in range(3):
        upload(db, world.staff_b, f"b-{i}.pdf", pdf())
    db.commit()
    return f


VIEWS = {
    "staff top": lambda w, f: lambda s: staff_folder(s, w.staff_a),
    "staff folder": lambda w, f: lambda s: staff_folder(s, w.staff_a, f.shared.public_id),
    "staff deep folder": lambda w, f: lambda s: staff_folder(s, w.staff_a, f.deep.public_id),
    "staff client folder": lambda w, f: lambda s: staff_folder(s, w.staff_a, f.own.public_id),
    "staff search": lambda w, f: lambda s: staff_folder(s, w.staff_a, query="pdf", sort="date"),
    "staff page 2": lambda w, f: lambda s: staff_folder(s, w.staff_a, f.shared.public_id, page=2),
    "client top": lambda w, f: lambda s: client_folder(s, w.client_a1),
    "client folder": lambda w, f: lambda s: client_folder(s, w.client_a1, f.shared.public_id, sort="date"),
    "client deep folder": lambda w, f: lambda s: client_folder(s, w.client_a1, f.deep.public_id),
    "client own folder": lambda w, f: lambda s: client_folder(s, w.client_a1, f.own.public_id),
    "client search": lambda w, f: lambda s: client_folder(s, w.client_a1, query="pdf"),
    "other client top": lambda w, f: lambda s: client_folder(s, w.client_a2, sort="size"),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_listing_queries_do_not_grow_with_data(db, world, layout, view):
    run = VIEWS[view](world, layout)
    few, few_page = measure(run)
    assert few_page.rows, f"{view}: the small case must list something"
    _grow(db, world, layout, 60, "many")
    many, many_page = measure(run)
    assert many_page.total > few_page.total, f"{view}: the data did not grow"
    assert many["n"] == few["n"], (f"{view}: {few['n']} queries with {few_page.total} items, {many['n']} with "
                                   f"{many_page.total}:\n" + "\n".join(many["sql"]))
    # a client's listing: the section's setting, the folders, the page with its total (file_views.client_folder)
    limit = 3 if view.startswith(("client", "other client")) else 10
    assert many["n"] <= limit, f"{view} runs {many['n']} queries:\n" + "\n".join(many["sql"])


def test_open_file_queries_do_not_grow_with_data(db, world, layout):
    target = upload(db, world.staff_a, "target.pdf", pdf(), layout.deep)
    db.commit()

    def run(s):
        return ft.open_file(s, world.client_a1, target.public_id, preview=True)

    few, _ = measure(run)
    _grow(db, world, layout, 60, "many")
    many, dl = measure(run)
    assert dl.name == "target.pdf"
    assert many["n"] == few["n"] <= 8, "\n".join(many["sql"])


# --- pagination and sorting --------------------------------------------------------------------

@pytest.fixture
def big(db, world, store):
    """A folder with 3 folders, a link and 60 files whose sizes are not in upload order."""
    s = world.staff_a
    folder = files.create_folder(db, s, name="Big")
    link = files.add_link(db, s, title="Reference", url="https://example.com", parent_public_id=folder.public_id)
    subs = [files.create_folder(db, s, name=n, parent_public_id=folder.public_id) for n in ("gamma", "alpha", "Beta")]
    docs = []
    for i in range(60):
        extra = 10 * ((i * 37) % 60)  # a permutation of 0, 10, … 590
        docs.append(upload(db, s, f"{'Doc' if i % 2 else 'doc'}-{i:02d}.pdf", pdf(extra), folder))
    db.commit()
    return folder, link, subs, docs


def all_pages(fetch) -> tuple[list[str], list]:
    first = fetch(1)
    out, pages = [], [first]
    for p in range(2, first.pages + 1):
        pages.append(fetch(p))
    for page in pages:
        out.extend(r["name"] for r in page.rows)
    return out, pages


def test_pagination_and_sorting(db, world, big):
    folder, link, subs, docs = big
    by_name = ["alpha", "Beta", "gamma"] + [d.name for d in docs] + ["Reference"]
    by_date = ["Beta", "alpha", "gamma"] + [d.name for d in reversed(docs)] + ["Reference"]
    by_size = ["Beta", "alpha", "gamma"] + [d.name for d in sorted(docs, key=lambda d: (-d.size, -d.id))] + [
        "Reference"]
    assert len({d.size for d in docs}) == 60
    for sort, expected in (("name", by_name), ("date", by_date), ("size", by_size)):
        names, pages = all_pages(
            lambda p, sort=sort: staff_folder(db, world.staff_a, folder.public_id, sort=sort, page=p))
        assert names == expected, sort
        assert [len(p.rows) for p in pages] == [25, 25, 14]
        assert [(p.page, p.pages, p.total, p.sort) for p in pages] == [(1, 3, 64, sort), (2, 3, 64, sort),
                                                                        (3, 3, 64, sort)]
    sizes = [r["bytes"] for r in staff_folder(db, world.staff_a, folder.public_id, sort="size").rows[3:]]
    assert sizes == sorted(sizes, reverse=True)


def test_page_numbers_are_clamped_and_checked(db, world, big):
    folder = big[0]

    def page(p):
        return staff_folder(db, world.staff_a, folder.public_id, page=p)

    assert page(0).page == 1 and page(-5).page == 1 and page(None).page == 1
    assert page(99).page == 3 and len(page(99).rows) == 14
    assert page("2").page == 2
    for bad in ("abc", "1.5", [2]):
        with pytest.raises(Invalid) as err:
            page(bad)
        assert err.value.field == "page"
    assert staff_folder(db, world.staff_a, folder.public_id, sort="name; DROP TABLE file_item").sort == "name"
    assert PER_PAGE == 25


def test_renaming_brings_a_file_to_the_top_of_the_date_order(db, world, big):
    folder, _, _, docs = big
    files.rename_item(db, world.staff_a, docs[0].public_id, "renamed.pdf")
    rows = staff_folder(db, world.staff_a, folder.public_id, sort="date").rows
    assert [r["kind"] for r in rows[:3]] == ["folder"] * 3 and rows[3]["name"] == "renamed.pdf"


def test_client_pages_count_only_what_they_may_see(db, world, big):
    folder, link, subs, docs = big
    share(db, world.staff_a, folder, all_clients=True)
    for d in docs[:4]:
        share(db, world.staff_a, d, inherit=False)  # hidden from clients
    share(db, world.staff_a, subs[0], inherit=False)  # "gamma" hidden
    names, pages = all_pages(lambda p: client_folder(db, world.client_a2, folder.public_id, page=p))
    assert [(p.total, p.pages) for p in pages] == [(59, 3)] * 3
    assert [len(p.rows) for p in pages] == [25, 25, 9]
    assert names == ["alpha", "Beta"] + [d.name for d in docs[4:]] + ["Reference"]
    last = client_folder(db, world.client_a2, folder.public_id, page=99)  # past the end: the last page
    assert (last.page, last.pages, last.total, [r["name"] for r in last.rows]) == (3, 3, 59, names[50:])
    for bad in ("abc", "1.5", [2]):
        with pytest.raises(Invalid) as err:
            client_folder(db, world.client_a2, folder.public_id, page=bad)
        assert err.value.field == "page"
    names, _ = all_pages(lambda p: client_folder(db, world.client_a2, folder.public_id, sort="size", page=p))
    assert names[:2] == ["Beta", "alpha"] and names[-1] == "Reference"
    # a client of workspace B sees none of it
    assert client_folder(db, world.client_b1).total == 0


def test_listing_rows_and_usage(db, world, big, monkeypatch):
    folder, link, subs, docs = big
    limits(monkeypatch, quota=1024 * 1024)
    page = staff_folder(db, world.staff_a, folder.public_id, sort="size")
    used = sum(d.size for d in docs)
    assert page.extra["used"] == human_size(used) and page.extra["quota"] == "1.0 MB"
    assert page.extra["used_percent"] == round(100 * used / (1024 * 1024))
    row = page.rows[3]
    biggest = max(docs, key=lambda d: d.size)
    assert row == {
        "id": biggest.public_id, "kind": "file", "name": biggest.name, "icon": "file-text", "type": "PDF",
        "size": human_size(biggest.size), "bytes": biggest.size, "updated": biggest.updated_at.isoformat(),
        "updated_label": biggest.updated_at.strftime("%d %b %Y"),
        "meta": f"PDF · {human_size(biggest.size)} · {biggest.updated_at.strftime('%d %b %Y')}",
        "url": "", "description": "", "previewable": True, "preview_kind": "pdf",
        "download_url": f"/api/files/{biggest.public_id}/download",
        "preview_url": f"/api/files/{biggest.public_id}/preview", "sharing": "As its folder",
        "client_folder": False,
    }
    folder_row = page.rows[0]
    assert (folder_row["kind"], folder_row["size"], folder_row["download_url"], folder_row["previewable"]) == (
        "folder", "", "", False)
    assert folder_row["meta"] == f"Folder · {folder_row['updated_label']}"  # no size for a folder
    last = staff_folder(db, world.staff_a, folder.public_id, sort="size", page=page.pages)
    link_row = next(r for r in last.rows if r["kind"] == "link")
    assert link_row["meta"] == ""  # a link shows its description there instead
