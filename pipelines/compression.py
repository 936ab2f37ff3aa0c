"""Gzip bodies as fetched -> the HTML, and the zlib copy the store keeps, in one inflate.

A news page usually arrives gzipped. Decompressing it in the crawl process and compressing it
again for ``article_html`` spends CPU twice on bytes the server had already compressed; the
deflate stream inside a one-member gzip body is also a valid zlib stream once it is given a
zlib header and the Adler-32 of the HTML, so the store keeps the server's own compression.
"""

from __future__ import annotations

import zlib

_GZIP_MAGIC = b"\x1f\x8b\x08"
_FEXTRA, _FNAME, _FCOMMENT, _FHCRC = 4, 8, 16, 2
_TRAILER = 8  # CRC-32 and size of the gzip member
# CMF 0x78 (deflate, 32 KiB window, as gzip's) and FLG 0x01: (0x78 * 256 + 0x01) % 31 == 0.
_ZLIB_HEADER = b"\x78\x01"


class BodyError(ValueError):
    """A compressed body that cannot be read, or inflates past the size allowed."""


def _deflate_start(body: bytes) -> int:
    """Offset of the deflate stream after a gzip member header (RFC 1952, section 2.3)."""
    if len(body) < 10 or not body.startswith(_GZIP_MAGIC):
        raise BodyError("not a gzip body")
    flags = body[3]
    offset = 10
    if flags & _FEXTRA:
        offset += 2 + int.from_bytes(body[offset : offset + 2], "little")
    for flag in (_FNAME, _FCOMMENT):
        if flags & flag:
            end = body.find(b"\x00", offset)
            if end < 0:
                raise BodyError("truncated gzip header")
            offset = end + 1
    if flags & _FHCRC:
        offset += 2
    if offset > len(body):
        raise BodyError("truncated gzip header")
    return offset


def inflate_gzip(body: bytes, max_size: int) -> tuple[bytes, bytes]:
    """``(html, html_zlib)`` from a gzip body; ``BodyError`` if corrupt or over ``max_size``.

    A one-member body keeps its deflate stream as the zlib copy. A body of several members
    (concatenated gzip files, rare) is read member by member and compressed again at level 1.
    """
    start = _deflate_start(body)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    html = _inflate(inflater, body[start:], max_size)
    trailer, rest = inflater.unused_data[:_TRAILER], inflater.unused_data[_TRAILER:]
    if len(trailer) < _TRAILER:
        raise BodyError("truncated gzip body")
    if int.from_bytes(trailer[:4], "little") != zlib.crc32(html):
        raise BodyError("gzip body fails its CRC check")
    if not rest:
        deflate = body[start : len(body) - _TRAILER]
        return html, _ZLIB_HEADER + deflate + zlib.adler32(html).to_bytes(4, "big")
    parts = [html]
    while rest.startswith(_GZIP_MAGIC):  # anything else after a member is ignored, as by gzip
        member = zlib.decompressobj(zlib.MAX_WBITS | 16)  # checks the member's CRC itself
        parts.append(_inflate(member, rest, max_size - sum(map(len, parts)), max_size))
        rest = member.unused_data
    html = b"".join(parts)
    return html, zlib.compress(html, 1)


def _inflate(inflater: zlib._Decompress, data: bytes, room: int, max_size: int = 0) -> bytes:
    """One member's bytes, at most ``room`` of them; ``max_size`` is the body's whole limit."""
    try:
        out = inflater.decompress(data, room + 1)
    except zlib.error as exc:
        raise BodyError(f"corrupt gzip body: {exc}") from exc
    if len(out) > room:
        raise BodyError(f"inflates to more than {max_size or room} bytes")
    if not inflater.eof:
        raise BodyError("truncated gzip body")
    return out
