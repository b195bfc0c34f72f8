"""Serializers: how event payloads become bytes and back.

The default is :class:`MsgspecJSON`; :func:`resolve_serializer` picks one per event.
"""

from walnats._serializers._base import Serializer
from walnats._serializers._gzip import GZip
from walnats._serializers._msgspec import MsgspecJSON
from walnats._serializers._pydantic import PydanticJSON
from walnats._serializers._raw import RawBytes
from walnats._serializers._resolve import resolve_serializer
from walnats._serializers._schema import schema_components

__all__ = [
    # protocol
    "Serializer",
    # serializers
    "MsgspecJSON",
    "PydanticJSON",
    "RawBytes",
    "GZip",
    # functions
    "resolve_serializer",
    "schema_components",
]
