"""A wrapper that gzip-compresses what another serializer produces."""

from __future__ import annotations

import zlib
from typing import Any, Generic

from walnats._errors import ConfigError, DecodeError
from walnats._serializers._base import Serializer, T

__all__ = ["GZip"]

_GZIP_WBITS = 16 + zlib.MAX_WBITS  # gzip container, not raw zlib


class GZip(Generic[T]):
    """Compresses the output of *inner* with gzip.

    Worth it for large, repetitive JSON payloads (lists of line items, documents): it
    keeps messages under the server's ``max_payload`` and streams smaller. Small
    messages can grow, so do not wrap events of a few hundred bytes.

    ``content_type`` stays the inner one; ``content_encoding`` says ``gzip``, like
    HTTP. Decoding stops at *max_size* bytes of output, so a tiny malicious message
    cannot expand into gigabytes in the consumer.
    """

    content_encoding: str = "gzip"
    """The compression applied on top of ``content_type``."""

    def __init__(self, inner: Serializer[T], *, level: int = 6, max_size: int = 64 << 20) -> None:
        if not 0 <= level <= 9:
            raise ConfigError(f"GZip level must be between 0 and 9, got {level}")
        if max_size < 1:
            raise ConfigError(f"GZip max_size must be >= 1, got {max_size}")
        self.inner = inner
        """The serializer whose bytes are compressed."""
        self.content_type: str = inner.content_type
        self.level = level
        self.max_size = max_size

    def encode(self, message: T) -> bytes:
        """Encode with the inner serializer, then compress (no timestamp: reproducible output)."""
        return zlib.compress(self.inner.encode(message), self.level, wbits=_GZIP_WBITS)

    def decode(self, data: bytes) -> T:
        """Decompress, then decode with the inner serializer; raises DecodeError for bad gzip."""
        inflater = zlib.decompressobj(wbits=_GZIP_WBITS)
        try:
            raw = inflater.decompress(data, self.max_size)
        except zlib.error as exc:
            raise DecodeError(f"cannot decode gzip payload: {exc}") from exc
        if inflater.unconsumed_tail:
            raise DecodeError(f"gzip payload expands beyond max_size={self.max_size} bytes")
        if not inflater.eof:
            raise DecodeError("cannot decode gzip payload: it is truncated")
        return self.inner.decode(raw)

    def json_schema(self) -> dict[str, Any] | None:
        """The inner serializer's schema: it describes the payload once decompressed."""
        return self.inner.json_schema()

    def __repr__(self) -> str:
        return f"GZip({self.inner!r}, level={self.level})"
