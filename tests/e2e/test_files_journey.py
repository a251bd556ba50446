"""Shared files, in Chromium against the production build: staff turns client uploads on →
creates a folder, uploads a PDF and a PNG into it (a progress bar per file) → shares the
folder with client A and adds a top-level link shared with A → A sees the folder, its files
and the link, previews the PDF (served inline as application/pdf) and the PNG, downloads
both (from the row and from the preview dialog: the same bytes), searches and sorts, and
sends a file to the team → staff finds it in "From <A>" → client
B sees nothing: the empty state, 404 for A's file, a refusal for A's folder. axe-core
scans every page; screenshots at 1280 and 390 px are saved under test-artifacts/e2e/.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.support.journey import Journey, accept_invite, invite_client, parked_look, staff_sign_in

CLIENT_A = ("Fern", "Filer", "fern@files.example")
CLIENT_B = ("Hugo", "Outsider", "hugo@files.example")
FOLDER = "Brand assets"
PDF_NAME = "Project brief.pdf"
PNG_NAME = "Palette.png"
CLIENT_UPLOAD = "Signed contract notes.txt"
LINK = ("Style guide", "https://example.com/style-guide", "Fonts, colors and logo rules.")


def _pdf() -> bytes:
    img = Image.new("RGB", (612, 792), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle([60, 60, 552, 140], fill=(29, 78, 216))
    draw.text((72, 180), "Project brief - files journey", fill="black")
    buf = io.BytesIO()
    img.save(buf, format="PDF")
    data = buf.getvalue()
    assert data.startswith(b"%PDF-")
    return data


def _png() -> bytes:
    img = Image.new("RGB", (320, 120), "white")
    draw = ImageDraw.Draw(img)
    for i, color in enumerate(["#1d4ed8", "#f59e0b", "#10b981", "#111827"]):
        draw.rectangle([10 + i * 78, 10, 80 + i * 78, 110], fill=color)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _row(page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader").filter(has_text=name))


def _share_with(j: Journey, staff, item: str, contact: tuple[str, str, str], look: str | None = None) -> None:
    staff.get_by_role("button", name=f"Share {item}").click()
    dialog = staff.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=f"Share “{item}”")).to_be_visible()
    expect(dialog.get_by_role("switch", name="Same as its folder")).to_have_count(0)  # top level
    expect(dialog.get_by_role("switch", name="All clients")).to_have_attribute("aria-checked", "false")
    dialog.get_by_label("Find contacts").fill(contact[2])
    box = dialog.get_by_role("checkbox", name=f"{contact[0]} {contact[1]} · {contact[2]}")
    expect(box).to_be_visible()
    box.click()
    expect(box).to_have_attribute("aria-checked", "true")
    expect(dialog.get_by_role("checkbox", name="Email newly added contacts who have a portal account")).to_be_visible()
    if look:
        parked_look(j, staff, look)
    dialog.get_by_role("button", name="Save sharing").click()
    expect(staff.get_by_role("status").filter(has_text="Sharing saved.")).to_be_visible()
    expect(dialog).to_have_count(0)
    expect(_row(staff, item)).to_contain_text("1 contact")


def _phone_menu(page, nav_name: str, link: str, url) -> None:
    """On a phone the navigation is folded behind Menu, and folds again once a link is followed;
    a wide window always shows it."""
    page.set_viewport_size({"width": 390, "height": 844})
    target = page.get_by_role("navigation", name=nav_name).get_by_role("link", name=link)
    menu = page.get_by_role("button", name="Menu")
    expect(target).to_be_hidden()
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    target.click()
    page.wait_for_url(url)
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(target).to_be_hidden()
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(menu).to_be_hidden()
    expect(target).to_be_visible()


def _upload(page, paths: list[Path]) -> None:
    page.locator("#files input[type=file]").set_input_files([str(p) for p in paths])
    expect(page.get_by_text("Ready to upload:")).to_be_visible()
    for p in paths:
        expect(page.get_by_role("listitem").filter(has_text=p.name)).to_be_visible()
    n = len(paths)
    page.get_by_role("button", name=f"Upload {n} file" + ("s" if n != 1 else "")).click()
    for p in paths:
        bar = page.get_by_role("progressbar", name=f"Upload progress of {p.name}")
        expect(bar).to_be_visible()
    expect(page.get_by_text("Uploaded", exact=True)).to_have_count(n, timeout=30_000)
    for p in paths:
        expect(page.get_by_role("progressbar", name=f"Upload progress of {p.name}")).to_have_attribute(
            "aria-valuenow", "100")
    expect(page.get_by_text("Ready to upload:")).to_have_count(0)


def test_files_journey(server, browser, axe, tmp_path):
    j = Journey(server, browser, axe)
    staff_ctx, a_ctx, b_ctx = j.context(), j.context(), j.context()
    staff, a, b = j.page(staff_ctx), j.page(a_ctx), j.page(b_ctx)
    pdf, png, txt = tmp_path / PDF_NAME, tmp_path / PNG_NAME, tmp_path / CLIENT_UPLOAD
    pdf.write_bytes(_pdf())
    png.write_bytes(_png())
    txt.write_text("Signed and returned on Monday.\nThanks!\n")

    # Staff: sign in, let clients upload files.
    staff_sign_in(j, staff)
    j.go(staff, "/staff/sites/portal")
    uploads_switch = staff.get_by_role("switch", name="Clients may upload files")
    expect(uploads_switch).to_be_visible()
    if uploads_switch.get_attribute("aria-checked") != "true":
        uploads_switch.click()
    expect(uploads_switch).to_have_attribute("aria-checked", "true")
    staff.get_by_role("button", name="Save settings").click()
    expect(staff.get_by_text("Saved. Clients see the new settings now.")).to_be_visible()

    # Two clients with portal accounts (invited now, so the emails read are the invitations).
    link_a = invite_client(j, staff, *CLIENT_A)
    link_b = invite_client(j, staff, *CLIENT_B)
    accept_invite(a, link_a, CLIENT_A[0])
    accept_invite(b, link_b, CLIENT_B[0])

    # Staff: Files, a folder, two files uploaded into it.
    j.go(staff, "/staff/contacts")
    _phone_menu(staff, "Staff navigation", "Files", re.compile(r"/staff/files$"))
    expect(staff.get_by_text("Clients may upload files.")).to_be_visible()
    expect(staff.get_by_role("heading", name="Upload files")).to_be_visible()
    staff.get_by_role("button", name="New folder").click()
    dialog = staff.get_by_role("dialog")
    dialog.get_by_role("button", name="Create folder").click()
    expect(dialog).to_be_visible()  # an empty name is refused (the browser's check or ours)
    dialog.get_by_label("Folder name").fill("a/b")
    dialog.get_by_role("button", name="Create folder").click()
    expect(dialog.get_by_role("alert")).to_contain_text("cannot contain /")
    dialog.get_by_label("Folder name").fill(FOLDER)
    dialog.get_by_role("button", name="Create folder").click()
    expect(dialog).to_have_count(0)
    expect(staff.get_by_role("status").filter(has_text=f"Folder “{FOLDER}” created.")).to_be_visible()
    expect(_row(staff, FOLDER)).to_contain_text("Not shared")
    staff.get_by_role("link", name=FOLDER, exact=True).click()
    staff.wait_for_url(re.compile(r"/staff/files\?folder=\w+"))
    folder_id = re.search(r"folder=([\w-]+)", staff.url).group(1)
    crumbs = staff.get_by_role("navigation", name="Folder path")
    expect(crumbs.get_by_role("link", name="All files")).to_be_visible()
    expect(crumbs.get_by_role("link", name=FOLDER)).to_be_visible()
    expect(staff.get_by_role("heading", name=f"Upload to “{FOLDER}”")).to_be_visible()
    _upload(staff, [pdf, png])
    for name, kind in ((PDF_NAME, "PDF"), (PNG_NAME, "Image")):
        expect(_row(staff, name)).to_contain_text(kind)
        expect(_row(staff, name)).to_contain_text("As its folder")
    parked_look(j, staff, "staff-files-folder")
    # A file inside a folder follows the folder's sharing unless told otherwise.
    staff.get_by_role("button", name=f"Share {PDF_NAME}").click()
    dialog = staff.get_by_role("dialog")
    expect(dialog.get_by_role("switch", name="Same as its folder")).to_have_attribute("aria-checked", "true")
    expect(dialog.get_by_text("No client has downloaded it yet.")).to_be_visible()
    parked_look(j, staff, "staff-files-share-inherited")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)

    # Share the folder with A; add a top-level link, shared with A too.
    crumbs.get_by_role("link", name="All files").click()
    staff.wait_for_url(re.compile(r"/staff/files$"))
    expect(_row(staff, FOLDER)).to_be_visible()
    _share_with(j, staff, FOLDER, CLIENT_A, look="staff-files-share")
    staff.get_by_role("button", name="Add link").click()
    dialog = staff.get_by_role("dialog")
    dialog.get_by_label("Title").fill(LINK[0])
    dialog.get_by_label("Web address").fill("javascript:alert(1)")
    dialog.get_by_role("button", name="Add link").click()
    expect(dialog).to_be_visible()  # refused: the browser's URL check or ours
    dialog.get_by_label("Web address").fill(LINK[1])
    dialog.get_by_label("Description (optional)").fill(LINK[2])
    dialog.get_by_role("button", name="Add link").click()
    expect(dialog).to_have_count(0)
    expect(staff.get_by_role("status").filter(has_text="Link added.")).to_be_visible()
    _share_with(j, staff, LINK[0], CLIENT_A)
    parked_look(j, staff, "staff-files")

    # Client A: the folder and the link at the top level, the files inside.
    j.go(a, "/")
    _phone_menu(a, "Portal sections", "Files", re.compile(r"/files$"))
    expect(_row(a, FOLDER)).to_be_visible()
    link_row = _row(a, LINK[0])
    expect(link_row).to_contain_text(LINK[2])
    expect(link_row.get_by_role("link", name=re.compile(LINK[0]))).to_have_attribute("href", LINK[1])
    expect(a.get_by_role("heading", name="Send files to the team")).to_be_visible()
    parked_look(j, a, "client-files")
    a.get_by_role("link", name=FOLDER, exact=True).click()
    a.wait_for_url(re.compile(rf"/files\?folder={folder_id}$"))
    expect(a.get_by_role("navigation", name="Folder path").get_by_role("link", name=FOLDER)).to_be_visible()
    expect(_row(a, PDF_NAME)).to_contain_text("PDF")
    expect(_row(a, PNG_NAME)).to_contain_text("Image")
    parked_look(j, a, "client-files-folder")

    # Preview the PDF: an iframe on the preview route, answered inline as application/pdf.
    pdf_href = _row(a, PDF_NAME).get_by_role("link", name=f"Download {PDF_NAME}").get_attribute("href")
    pdf_id = re.fullmatch(r"/api/files/([\w-]+)/download", pdf_href).group(1)
    preview_path = f"/api/files/{pdf_id}/preview"
    with a.expect_response(lambda r: r.url.endswith(preview_path)) as resp_info:
        _row(a, PDF_NAME).get_by_role("button", name=f"Preview {PDF_NAME}").click()
    resp = resp_info.value
    assert resp.status == 200, resp.status
    assert resp.headers["content-type"].startswith("application/pdf"), resp.headers
    assert "inline" in resp.headers.get("content-disposition", ""), resp.headers
    dialog = a.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name=PDF_NAME)).to_be_visible()
    frame = dialog.locator(f'iframe[title="Preview of {PDF_NAME}"]')
    expect(frame).to_have_attribute("src", preview_path)
    parked_look(j, a, "client-files-preview")
    with a.expect_download() as dl_info:  # the dialog's own Download button
        dialog.get_by_role("link", name="Download").click()
    assert dl_info.value.suggested_filename == PDF_NAME, dl_info.value.suggested_filename
    assert Path(dl_info.value.path()).read_bytes() == pdf.read_bytes()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)

    # Preview the image too: it loads under the page's CSP.
    _row(a, PNG_NAME).get_by_role("button", name=f"Preview {PNG_NAME}").click()
    img = a.get_by_role("dialog").get_by_role("img", name=f"Preview of {PNG_NAME}")
    expect(img).to_be_visible()
    expect(img).to_have_js_property("naturalWidth", 320)
    a.get_by_role("dialog").get_by_role("button", name="Close").click()

    # Download the PNG: an attachment with exactly the uploaded bytes. From local storage the
    # click is a download, not a navigation: the page keeps its websocket (Reflex drops it on
    # beforeunload). On S3 the route redirects to another origin, where Chrome ignores the
    # `download` attribute and navigates, so the socket drops (a known limit, in the README).
    dropped: list[str] = []
    a.on("console", lambda m: dropped.append(m.text) if "Disconnect websocket" in m.text else None)
    with a.expect_download() as dl_info:
        _row(a, PNG_NAME).get_by_role("link", name=f"Download {PNG_NAME}").click()
    download = dl_info.value
    a.wait_for_timeout(300)
    if server.config == "embedded":
        assert not dropped, dropped
    else:  # start from a page with its socket, as a user's next click would reconnect it
        j.go(a, f"/files?folder={folder_id}")
    assert download.suggested_filename == PNG_NAME, download.suggested_filename
    assert Path(download.path()).read_bytes() == png.read_bytes()
    png_href = _row(a, PNG_NAME).get_by_role("link", name=f"Download {PNG_NAME}").get_attribute("href")
    # A cut-off download resumes: the served app answers one byte range with 206.
    part = a_ctx.request.get(server.url + png_href, headers={"range": "bytes=100-"})
    assert part.status == 206, part.status
    assert part.body() == png.read_bytes()[100:]
    assert part.headers["content-range"] == f"bytes 100-{len(png.read_bytes()) - 1}/{len(png.read_bytes())}"

    # Search the whole tree, then sort.
    a.get_by_label("Search files").fill("brief")
    a.get_by_role("button", name="Search").click()
    a.wait_for_url(re.compile(r"/files\?q=brief$"))
    expect(_row(a, PDF_NAME)).to_be_visible()
    expect(_row(a, PNG_NAME)).to_have_count(0)
    j.go(a, "/files")
    a.get_by_label("Sort by").select_option("size")
    a.wait_for_url(re.compile(r"/files\?sort=size$"))
    expect(a.get_by_label("Sort by")).to_have_value("size")

    # Client A sends a file to the team: progress, then "Uploaded".
    _upload(a, [txt])
    parked_look(j, a, "client-files-uploaded")

    # Staff finds it in "From <A>", which only A shares.
    own_folder = f"From {CLIENT_A[0]} {CLIENT_A[1]}"
    j.go(staff, "/staff/files")
    expect(_row(staff, own_folder)).to_contain_text(f"Only {CLIENT_A[0]} {CLIENT_A[1]}")
    expect(staff.get_by_role("button", name=f"Share {own_folder}")).to_have_count(0)
    staff.get_by_role("link", name=own_folder, exact=True).click()
    staff.wait_for_url(re.compile(r"/staff/files\?folder="))
    expect(_row(staff, CLIENT_UPLOAD)).to_contain_text("Text")
    expect(_row(staff, CLIENT_UPLOAD)).to_contain_text(f"Only {CLIENT_A[0]} {CLIENT_A[1]}")
    expect(staff.get_by_role("button", name=f"Share {CLIENT_UPLOAD}")).to_have_count(0)  # A's alone
    expect(staff.get_by_text("Files here are visible to this client at once")).to_be_visible()
    parked_look(j, staff, "staff-files-client-folder")

    # Client B: nothing shared, A's file is not found, A's folder is refused.
    j.go(b, "/files")
    expect(b.get_by_text("No files have been shared with you yet.")).to_be_visible()
    for other in (FOLDER, LINK[0], own_folder, PDF_NAME):
        expect(b.get_by_text(other)).to_have_count(0)
    parked_look(j, b, "client-files-empty")
    for url in (png_href, pdf_href, preview_path):
        r = b_ctx.request.get(server.url + url, max_redirects=0)
        assert r.status == 404, (url, r.status)
    j.go(b, f"/files?folder={folder_id}")
    expect(b.get_by_text("This folder is not shared with you.")).to_be_visible()
    expect(b.get_by_role("row")).to_have_count(0)
    expect(b.get_by_role("link", name="Back to all files")).to_have_attribute("href", "/files")
    parked_look(j, b, "client-files-refused")

    for ctx in (staff_ctx, a_ctx, b_ctx):
        ctx.close()
    assert "Frontend Exception" not in server.log_path.read_text(errors="replace"), server.log_tail(80)
    assert not j.errors, "\n".join(j.errors)
    serious = axe.serious()
    assert not serious, "\n".join(f"{page}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}"
                                   for page, vs in serious.items() for v in vs)
