"""Byte-range parsing for downloads and previews (RFC 9110 §14)."""

from __future__ import annotations

import pytest

from portal_app.api.ranges import Unsatisfiable, requested_range, resumes

SIZE = 1000


@pytest.mark.parametrize("header, expected", [
    ("bytes=0-99", (0, 99)),
    ("bytes=500-", (500, 999)),
    ("bytes=900-5000", (900, 999)),  # past the end: up to the last byte
    ("bytes=-100", (900, 999)),  # the last 100 bytes
    ("bytes=-5000", (0, 999)),  # more than the file: all of it
    ("bytes=999-999", (999, 999)),
    (" bytes = 10 - 20 ", (10, 20)),
])
def test_one_range_is_answered(header, expected):
    assert requested_range(header, SIZE) == expected


@pytest.mark.parametrize("header", [
    None, "", "bytes=", "bytes=-", "bytes=20-10", "bytes=0-1,5-9", "items=0-10", "bytes=a-b",
    "bytes=0-99999999999999999999999", "bytes=\x00-1",
])
def test_anything_else_gets_the_whole_file(header):
    assert requested_range(header, SIZE) is None


@pytest.mark.parametrize("header, size", [("bytes=1000-", 1000), ("bytes=5000-6000", 1000), ("bytes=-0", 1000),
                                          ("bytes=0-", 0), ("bytes=-10", 0)])
def test_a_range_past_the_end_is_unsatisfiable(header, size):
    with pytest.raises(Unsatisfiable):
        requested_range(header, size)


def test_if_range_must_match_the_files_etag():
    etag = '"abc123"'
    assert requested_range("bytes=500-", SIZE, if_range=etag, etag=etag) == (500, 999)
    assert requested_range("bytes=500-", SIZE, if_range='"other"', etag=etag) is None  # changed since
    assert requested_range("bytes=500-", SIZE, if_range="Wed, 21 Oct 2026 07:28:00 GMT", etag=etag) is None
    assert requested_range("bytes=500-", SIZE, if_range=etag, etag="") is None  # nothing to compare with


@pytest.mark.parametrize("header, expected", [
    (None, False), ("bytes=0-", False), ("bytes=0-99", False), ("bytes=1-", True), ("bytes=500-999", True),
    ("bytes=-100", True), ("bytes=0-1,5-9", False), ("junk", False),
])
def test_resumes_means_bytes_after_the_first(header, expected):
    assert resumes(header) is expected
