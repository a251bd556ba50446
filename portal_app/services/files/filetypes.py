"""What a file is, judged by its content; clean file names; human sizes and icons."""

from __future__ import annotations

import os
import unicodedata

from portal_app.errors import Invalid

HEAD_BYTES = 4096
PREVIEWABLE = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}

# (content type, extensions it may carry) for content we recognize by its first bytes
_OFFICE_ZIP = {"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", "pages", "numbers", "key", "sketch", "fig"}


def sniff(head: bytes) -> tuple[str, set[str]]:
    if head.startswith(b"%PDF-"):
        return "application/pdf", {"pdf"}
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", {"png"}
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", {"jpg", "jpeg", "jpe", "jfif"}
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif", {"gif"}
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", {"webp"}
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "application/zip", _OFFICE_ZIP
    if head[4:8] == b"ftyp":
        return "video/mp4", {"mp4", "m4v", "mov", "m4a", "heic", "heif", "avif", "3gp"}
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage", {"doc", "xls", "ppt", "msg"}
    if head[:3] == b"ID3" or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg", {"mp3"}
    if head.startswith(b"\x1f\x8b"):
        return "application/gzip", {"gz", "tgz"}
    if _looks_like_markup(head):
        return "text/html", {"html", "htm", "xhtml", "svg", "xml", "txt", "md", "csv"}
    return "application/octet-stream", set()


def _looks_like_markup(head: bytes) -> bool:
    text = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype", b"<html", b"<svg", b"<?xml", b"<script", b"<head", b"<body",
                            b"<iframe", b"<object"))


# Extensions whose content we can recognize: a file carrying one must really be that.
CHECKED_EXTENSIONS = {"pdf", "png", "jpg", "jpeg", "jpe", "jfif", "gif", "webp", "zip", "docx", "xlsx",
                      "pptx", "odt", "ods", "odp", "epub", "mp4", "m4v", "mov", "doc", "xls", "ppt", "mp3"}


def extension(name: str) -> str:
    return os.path.splitext(name)[1].lstrip(".").lower()


def check_content(name: str, head: bytes) -> str:
    """The content type to store, or Invalid when the name promises another kind of file
    (an HTML page renamed .png is refused, not stored)."""
    content_type, allowed = sniff(head)
    ext = extension(name)
    if ext in CHECKED_EXTENSIONS and ext not in allowed:
        raise Invalid(f"“{name}” is not a real .{ext} file: its content does not match its name. "
                      "Nothing was saved.", "file")
    if content_type == "text/html" and ext not in allowed:
        raise Invalid(f"“{name}” contains a web page or script but is not named like one. Nothing was saved.", "file")
    return content_type if content_type in PREVIEWABLE else "application/octet-stream"


_INVISIBLE = {"\u200e", "\u200f", "\u061c"} | {chr(c) for c in range(0x202A, 0x202F)} | {chr(c) for c in range(0x2066, 0x206A)}


def clean_file_name(raw: str, max_len: int = 255) -> str:
    """A safe display name from whatever a browser sent: no folders (`../`), no control or
    direction-override characters (which can disguise `exe.pdf` as `fdp.exe`), NFC, at most
    `max_len` characters with the extension kept."""
    name = unicodedata.normalize("NFC", str(raw or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if ch.isspace() else ch for ch in name  # a tab or line break separates words
                   if ch not in _INVISIBLE and (ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf")))
    name = " ".join(name.split()).strip(". ")
    if not name:
        name = "file"
    if len(name) > max_len:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16 and stem:
            name = stem[: max_len - len(ext) - 1].rstrip(". ") + "." + ext
        else:
            name = name[:max_len].rstrip(". ")
    return name


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        size /= 1024
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if size >= 100 else f"{size:.1f} {unit}"
    return f"{n} B"  # pragma: no cover


_LABELS = [
    ({"pdf"}, "PDF", "file-text"),
    ({"png", "jpg", "jpeg", "gif", "webp", "svg", "heic", "tif", "tiff", "bmp"}, "Image", "image"),
    ({"doc", "docx", "odt", "rtf", "pages"}, "Document", "file-text"),
    ({"xls", "xlsx", "ods", "csv", "numbers"}, "Spreadsheet", "file-spreadsheet"),
    ({"ppt", "pptx", "odp", "key"}, "Presentation", "presentation"),
    ({"zip", "gz", "tgz", "rar", "7z"}, "Archive", "file-archive"),
    ({"mp4", "mov", "m4v", "webm", "avi"}, "Video", "file-video"),
    ({"mp3", "wav", "m4a", "ogg", "flac"}, "Audio", "file-audio"),
    ({"txt", "md"}, "Text", "file"),
]


def type_and_icon(kind: str, name: str) -> tuple[str, str]:
    if kind == "folder":
        return "Folder", "folder"
    if kind == "link":
        return "Link", "link"
    ext = extension(name)
    for exts, label, icon in _LABELS:
        if ext in exts:
            return label, icon
    return (ext.upper() + " file" if ext and len(ext) <= 5 else "File"), "file"
