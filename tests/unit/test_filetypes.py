"""services/files/filetypes.py: content sniffing, the name/content check, clean file names, human
sizes and type labels. Pure functions, no database."""

from __future__ import annotations

import os

import pytest

from portal_app.errors import Invalid
from portal_app.services.files.filetypes import (
    HEAD_BYTES,
    check_content,
    clean_file_name,
    extension,
    human_size,
    sniff,
    type_and_icon,
)
from tests.support.file_samples import HTML, PDF, docx_bytes, gif_bytes, jpeg_bytes, png_bytes, webp_bytes

# --- clean_file_name ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\Windows\\System32\\evil.exe", "evil.exe"),
    ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
    ("/absolute/path/report.pdf", "report.pdf"),
    ("rep\x00ort.pdf", "report.pdf"),
    ("\x00\x00.pdf", "pdf"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),           # right-to-left override
    ("a\u2066b\u2069c\u200e\u200fd\u061c.txt", "abcd.txt"),  # isolates and marks
    ("zero\u200bwidth.txt", "zerowidth.txt"),               # Cf: zero-width space
    ("line\nbreak\r.txt", "line break .txt"),
    ("para\u2029graph\u2028.txt", "para graph .txt"),
    ("report\tfinal\x0b.pdf", "report final .pdf"),
    ("  many    spaces\there .pdf  ", "many spaces here .pdf"),
    ("e\u0301te\u0301.txt", "\u00e9t\u00e9.txt"),          # NFC
    ("...hidden...", "hidden"),
    ("..", "file"),
    ("", "file"),
    (None, "file"),
    ("/", "file"),
    ("\u202e", "file"),
    ("normal name (1).docx", "normal name (1).docx"),
])
def test_clean_file_name(raw, expected):
    assert clean_file_name(raw) == expected


def test_clean_file_name_300_characters_keeps_the_extension():
    raw = "a" * 296 + ".pdf"
    assert len(raw) == 300
    cleaned = clean_file_name(raw)
    assert cleaned == "a" * 251 + ".pdf"
    assert len(cleaned) == 255


def test_clean_file_name_long_without_a_usable_extension():
    assert clean_file_name("b" * 300) == "b" * 255
    long_ext = "x" * 250 + "." + "y" * 49  # an "extension" of 49 characters is not kept apart
    assert clean_file_name(long_ext) == ("x" * 250 + "." + "y" * 49)[:255]
    # the cut never leaves a trailing dot or space
    assert clean_file_name("c" * 254 + " " + "d" * 10) == "c" * 254
    assert clean_file_name("e" * 254 + "." + "f" * 20) == "e" * 254
    assert clean_file_name("d" * 10 + ".pdf", max_len=8) == "dddd.pdf"


def test_clean_file_name_of_dotfile_and_traversal_with_rtl():
    assert clean_file_name("../..\u202e/.htaccess") == "htaccess"
    assert clean_file_name("safe/..\u202egpj.exe") == "gpj.exe"


# --- sniff and check_content -------------------------------------------------------------------

@pytest.mark.parametrize("make,ctype", [
    (lambda: PDF, "application/pdf"),
    (png_bytes, "image/png"),
    (jpeg_bytes, "image/jpeg"),
    (gif_bytes, "image/gif"),
    (webp_bytes, "image/webp"),
    (docx_bytes, "application/zip"),
    (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "application/x-ole-storage"),
    (lambda: b"ID3\x03\x00" + b"\x00" * 50, "audio/mpeg"),
    (lambda: b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 50, "video/mp4"),
    (lambda: b"\x1f\x8b\x08\x00" + b"\x00" * 50, "application/gzip"),
    (lambda: HTML, "text/html"),
    (lambda: b"\xef\xbb\xbf  \n<SVG xmlns='http://www.w3.org/2000/svg'/>", "text/html"),
    (lambda: b"<?xml version='1.0'?><x/>", "text/html"),
    (lambda: b"plain,csv,text\n1,2,3\n", "application/octet-stream"),
    (lambda: b"", "application/octet-stream"),
])
def test_sniff(make, ctype):
    assert sniff(make()[:HEAD_BYTES])[0] == ctype


@pytest.mark.parametrize("name,make,stored", [
    ("contract.pdf", lambda: PDF, "application/pdf"),
    ("SCAN.PDF", lambda: PDF, "application/pdf"),
    ("photo.png", png_bytes, "image/png"),
    ("photo.jpeg", jpeg_bytes, "image/jpeg"),
    ("photo.JPG", jpeg_bytes, "image/jpeg"),
    ("anim.gif", gif_bytes, "image/gif"),
    ("pic.webp", webp_bytes, "image/webp"),
    ("report.docx", docx_bytes, "application/octet-stream"),
    ("archive.zip", docx_bytes, "application/octet-stream"),
    ("page.html", lambda: HTML, "application/octet-stream"),   # kept, never previewable
    ("drawing.svg", lambda: b"<svg/>", "application/octet-stream"),
    ("notes.txt", lambda: b"hello", "application/octet-stream"),
    ("data.bin", lambda: os.urandom(512), "application/octet-stream"),
    ("no extension", lambda: b"just text", "application/octet-stream"),
    ("empty.txt", lambda: b"", "application/octet-stream"),
    ("report.txt", lambda: PDF, "application/pdf"),             # judged by content, not name
])
def test_check_content_accepts(name, make, stored):
    assert check_content(name, make()[:HEAD_BYTES]) == stored


@pytest.mark.parametrize("name,make,match", [
    ("innocent.png", lambda: HTML, "not a real .png file"),
    ("innocent.PNG", lambda: b"\n <svg onload=alert(1)/>", "not a real .png file"),
    ("invoice.pdf", lambda: HTML, "not a real .pdf file"),
    ("invoice.pdf", png_bytes, "not a real .pdf file"),
    ("photo.jpg", png_bytes, "not a real .jpg file"),
    ("photo.png", docx_bytes, "not a real .png file"),
    ("report.docx", lambda: PDF, "not a real .docx file"),
    ("x.pdf", lambda: b"", "not a real .pdf file"),
    ("random.pdf", lambda: b"\x00\x01garbage" * 10, "not a real .pdf file"),
    ("page", lambda: HTML, "web page or script"),
    ("page.exe", lambda: HTML, "web page or script"),
    ("readme.rtf", lambda: b"<script>alert(1)</script>", "web page or script"),
])
def test_check_content_refuses_content_that_contradicts_the_name(name, make, match):
    with pytest.raises(Invalid, match=match) as err:
        check_content(name, make()[:HEAD_BYTES])
    assert err.value.field == "file"
    assert "Nothing was saved" in err.value.message


def test_extension():
    assert extension("A.Tar.GZ") == "gz"
    assert extension("noext") == ""
    assert extension(".bashrc") == ""
    assert extension("trailing.") == ""


# --- human sizes and labels -------------------------------------------------------------------

@pytest.mark.parametrize("n,label", [
    (0, "0 B"), (1, "1 B"), (1023, "1023 B"), (1024, "1.0 KB"), (1536, "1.5 KB"),
    (100 * 1024, "100 KB"), (1024 ** 2 - 1, "1024 KB"), (1024 ** 2, "1.0 MB"), (5 * 1024 ** 2, "5.0 MB"),
    (500 * 1024 ** 2, "500 MB"), (10 * 1024 ** 3, "10.0 GB"), (3 * 1024 ** 4, "3.0 TB"),
    (2 * 1024 ** 5, "2048 TB"),
])
def test_human_size(n, label):
    assert human_size(n) == label


@pytest.mark.parametrize("kind,name,expected", [
    ("folder", "Contracts.pdf", ("Folder", "folder")),
    ("link", "Website.pdf", ("Link", "link")),
    ("file", "a.pdf", ("PDF", "file-text")),
    ("file", "x.PNG", ("Image", "image")),
    ("file", "y.xlsx", ("Spreadsheet", "file-spreadsheet")),
    ("file", "deck.pptx", ("Presentation", "presentation")),
    ("file", "letter.docx", ("Document", "file-text")),
    ("file", "b.tgz", ("Archive", "file-archive")),
    ("file", "clip.mov", ("Video", "file-video")),
    ("file", "song.mp3", ("Audio", "file-audio")),
    ("file", "notes.md", ("Text", "file")),
    ("file", "z.abc", ("ABC file", "file")),
    ("file", "noext", ("File", "file")),
    ("file", "x.verylongext", ("File", "file")),
])
def test_type_and_icon(kind, name, expected):
    assert type_and_icon(kind, name) == expected
