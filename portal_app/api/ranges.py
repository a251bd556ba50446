"""HTTP byte ranges (RFC 9110 §14) for file downloads and previews.

A browser resuming a cut-off download, or a PDF viewer fetching pages, asks for one range:
`bytes=500-`, `bytes=500-999` or the last N bytes `bytes=-N`. We answer one range with 206,
and anything else (several ranges, bad syntax, a stale `If-Range`) with the whole file,
which RFC 9110 allows; a range that starts past the end is 416.
"""

from __future__ import annotations

import re

# at most 19 digits: no integer bigger than any file size is ever built
_RANGE = re.compile(r"bytes\s*=\s*(\d{0,19})\s*-\s*(\d{0,19})")


class Unsatisfiable(Exception):
    """The range starts past the end of the file: 416 with `Content-Range: bytes */size`."""


def requested_range(header: str | None, size: int, *, if_range: str | None = None,
                    etag: str = "") -> tuple[int, int] | None:
    """(first, last) byte, inclusive, to answer with 206; None to send the whole file."""
    if not header:
        return None
    if if_range is not None and (not etag or if_range.strip() != etag):
        return None  # the file changed since, or a date we do not check: start over
    m = _RANGE.fullmatch(header.strip())
    if m is None or (m[1] == "" and m[2] == ""):
        return None
    if m[1] == "":  # the last N bytes
        suffix = int(m[2])
        if suffix == 0 or size == 0:
            raise Unsatisfiable()
        return max(0, size - suffix), size - 1
    first = int(m[1])
    if m[2] != "" and int(m[2]) < first:
        return None  # invalid: ignored
    if first >= size:
        raise Unsatisfiable()
    return first, size - 1 if m[2] == "" else min(int(m[2]), size - 1)


def resumes(header: str | None) -> bool:
    """Whether a request asks for bytes after the first: a resumed or partial download,
    which is not counted as another download."""
    m = _RANGE.fullmatch((header or "").strip())
    return m is not None and (m[1] == "" and m[2] != "" or m[1] != "" and int(m[1]) > 0)
