"""inflate_gzip: the HTML and a zlib copy from one inflate, for every shape a gzip body takes."""

from __future__ import annotations

import gzip
import io
import zlib

import pytest

from pipelines.compression import BodyError, inflate_gzip

PAGE = b"<html><body>" + b"<p>Harbour council votes on the tide barrier.</p>" * 400 + b"</body>"
LIMIT = 1_000_000


def _gzip_file(data: bytes, **header: object) -> bytes:
    """A gzip member with the optional header fields a server or a file may set."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", **header) as handle:  # type: ignore[arg-type]
        handle.write(data)
    return buffer.getvalue()


def _with_flags(body: bytes, flags: int, extra: bytes) -> bytes:
    """``body`` (a bare gzip member) with header fields inserted after the fixed 10 bytes."""
    return body[:3] + bytes([body[3] | flags]) + body[4:10] + extra + body[10:]


@pytest.mark.parametrize(
    "body",
    [
        gzip.compress(PAGE, 1),
        gzip.compress(PAGE, 9),
        gzip.compress(b""),
        _gzip_file(PAGE, filename="story.html"),  # FNAME
        _with_flags(gzip.compress(PAGE), 4, b"\x03\x00abc"),  # FEXTRA
        _with_flags(gzip.compress(PAGE), 16, b"a comment\x00"),  # FCOMMENT
        _with_flags(gzip.compress(PAGE), 2, b"\x00\x00"),  # FHCRC
    ],
)
def test_one_member_keeps_the_servers_deflate_stream(body: bytes) -> None:
    html, html_zlib = inflate_gzip(body, LIMIT)
    assert html == gzip.decompress(body)
    assert zlib.decompress(html_zlib) == html
    assert html_zlib[2:-4] in body  # the server's deflate stream, not a second compression


def test_several_members_are_joined_and_compressed_again() -> None:
    body = gzip.compress(PAGE[:1000]) + gzip.compress(PAGE[1000:])
    html, html_zlib = inflate_gzip(body, LIMIT)
    assert html == PAGE
    assert zlib.decompress(html_zlib) == PAGE


def test_trailing_bytes_after_a_member_are_ignored_as_gzip_does() -> None:
    html, html_zlib = inflate_gzip(gzip.compress(PAGE) + b"\n\n", LIMIT)
    assert html == PAGE and zlib.decompress(html_zlib) == PAGE


CORRUPT_CRC = bytearray(gzip.compress(PAGE))
CORRUPT_CRC[-6] ^= 0xFF


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>not compressed</html>", "not a gzip body"),
        (b"\x1f\x8b\x08", "not a gzip body"),
        (gzip.compress(PAGE)[:40], "truncated gzip body"),
        (gzip.compress(PAGE)[:-4], "truncated gzip body"),
        (_with_flags(gzip.compress(PAGE), 8, b"no terminator"), "corrupt gzip body|truncated"),
        (gzip.compress(PAGE)[:10] + b"\xff" * 50, "corrupt gzip body"),
        (bytes(CORRUPT_CRC), "fails its CRC check"),
        (gzip.compress(PAGE) + gzip.compress(PAGE)[:30], "truncated gzip body"),
    ],
)
def test_bad_bodies_raise_a_body_error(body: bytes, message: str) -> None:
    with pytest.raises(BodyError, match=message):
        inflate_gzip(body, LIMIT)


@pytest.mark.parametrize(
    "body",
    [gzip.compress(PAGE), gzip.compress(PAGE[:9000]) + gzip.compress(PAGE[9000:])],
)
def test_a_body_inflating_past_the_limit_is_refused(body: bytes) -> None:
    with pytest.raises(BodyError, match=f"more than {len(PAGE) - 1} bytes"):
        inflate_gzip(body, len(PAGE) - 1)
    assert inflate_gzip(body, len(PAGE))[0] == PAGE
