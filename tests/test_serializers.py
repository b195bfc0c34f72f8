"""Serializers: resolution rules, round trips, and the errors users see."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import gzip
import re
import subprocess
import sys
import uuid
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypedDict

import attrs
import msgspec
import pydantic
import pytest

from walnats._errors import ConfigError, DecodeError, EncodeError
from walnats._serializers import (
    GZip,
    MsgspecJSON,
    PydanticJSON,
    RawBytes,
    Serializer,
    resolve_serializer,
    schema_components,
)


class OrderPlaced(msgspec.Struct):
    order_id: int
    qty: int


class OrderPaid(msgspec.Struct):
    order_id: int


@dataclasses.dataclass
class Shipped:
    order_id: int
    carrier: str


@attrs.define
class Refunded:
    order_id: int
    amount: Decimal


class Address(TypedDict):
    city: str
    zip: str


class Point(NamedTuple):
    x: int
    y: int


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Node(msgspec.Struct):
    child: Node | None = None


class Line(msgspec.Struct):
    sku: str


class Cart(msgspec.Struct):
    lines: list[Line]


class Invoice(pydantic.BaseModel):
    number: str
    total: Decimal = pydantic.Field(ge=0)
    lines: list[int] = []


class Foo:
    pass


class CSVRow:
    """A user serializer: a tuple of strings as one CSV line."""

    content_type = "text/csv"

    def encode(self, message: tuple[str, ...]) -> bytes:
        return ",".join(message).encode()

    def decode(self, data: bytes) -> tuple[str, ...]:
        return tuple(data.decode().split(","))

    def json_schema(self) -> dict[str, Any] | None:
        return None


class NoDecode:
    content_type = "text/plain"

    def encode(self, message: str) -> bytes:
        return message.encode()

    def json_schema(self) -> None:
        return None


def round_trip(schema: Any, message: Any) -> Any:
    serializer = resolve_serializer(schema)
    return serializer.decode(serializer.encode(message))


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (OrderPlaced, OrderPlaced(order_id=1, qty=2)),
        (Shipped, Shipped(order_id=1, carrier="DHL")),
        (Refunded, Refunded(order_id=1, amount=Decimal("9.99"))),
        (Address, {"city": "Berlin", "zip": "10115"}),
        (Point, Point(1, 2)),
        (Node, Node(Node())),
        (int, 42),
        (str, "Euro € 😀"),
        (float, 1.5),
        (bool, True),
        (None, None),
        (list[int], [1, 2, 3]),
        (dict[str, int], {"a": 1}),
        (int | None, None),
        (Literal["a", "b"], "b"),
        (uuid.UUID, uuid.UUID("0190e3a2-5f7e-7c4a-9b1e-2d3c4b5a6f70")),
        (Decimal, Decimal("0.10")),
        (Color, Color.BLUE),
        (dt.date, dt.date(2026, 3, 1)),
        (dt.datetime, dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)),
        (dt.datetime, dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))),
        (dt.datetime, dt.datetime(2026, 3, 1, 12, 0)),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_msgspec_json__round_trip(schema: Any, message: Any) -> None:
    """Every type msgspec supports decodes back to an equal message through MsgspecJSON."""
    assert isinstance(resolve_serializer(schema), MsgspecJSON)
    assert round_trip(schema, message) == message


def test_msgspec_json__tz_aware_datetime_keeps_offset() -> None:
    """A tz-aware datetime keeps its offset; a naive one stays naive."""
    aware = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert round_trip(dt.datetime, aware).utcoffset() == dt.timedelta(hours=2)
    assert round_trip(dt.datetime, dt.datetime(2026, 3, 1)).tzinfo is None  # noqa: DTZ001 - naive on purpose


def test_msgspec_json__utc_encodes_with_z() -> None:
    """UTC datetimes are sent as RFC 3339 with a single Z."""
    serializer = MsgspecJSON(dt.datetime)
    assert serializer.encode(dt.datetime(2026, 3, 1, tzinfo=dt.UTC)) == b'"2026-03-01T00:00:00Z"'


def test_msgspec_json__float_accepts_int() -> None:
    """An int is a valid float message, since JSON does not tell them apart."""
    assert MsgspecJSON(float).encode(1) == b"1"


def test_msgspec_json__content_type() -> None:
    """MsgspecJSON sends application/json and satisfies the Serializer protocol."""
    serializer = MsgspecJSON(OrderPlaced)
    assert serializer.content_type == "application/json"
    assert isinstance(serializer, Serializer)


def test_msgspec_json__encode_wrong_class() -> None:
    """Emitting an OrderPaid where an OrderPlaced is expected fails before it is sent."""
    serializer = MsgspecJSON(OrderPlaced)
    with pytest.raises(EncodeError, match=r"^expected OrderPlaced, got OrderPaid$"):
        serializer.encode(OrderPaid(order_id=1))  # type: ignore[arg-type]


def test_msgspec_json__encode_wrong_primitive() -> None:
    """A str where an int is expected fails with EncodeError."""
    with pytest.raises(EncodeError, match=r"^expected int, got str$"):
        MsgspecJSON(int).encode("1")  # type: ignore[arg-type]


def test_msgspec_json__encode_unsupported_value() -> None:
    """A value msgspec cannot encode fails with EncodeError naming the schema."""
    serializer = MsgspecJSON(dict[str, Any])
    with pytest.raises(
        EncodeError,
        match=r"^cannot encode dict as dict\[str, Any\]: Encoding objects of type Foo is unsupp",
    ):
        serializer.encode({"a": Foo()})


def test_msgspec_json__decode_wrong_type_reports_path() -> None:
    """A wrongly typed field fails with DecodeError naming the schema and the JSON path."""
    serializer = MsgspecJSON(OrderPlaced)
    expected = r"^cannot decode OrderPlaced: Expected `int`, got `str` - at `\$.qty`$"
    with pytest.raises(DecodeError, match=expected):
        serializer.decode(b'{"order_id": 1, "qty": "two"}')


def test_msgspec_json__decode_garbage() -> None:
    """Bytes that are not JSON fail with DecodeError."""
    with pytest.raises(DecodeError, match=r"^cannot decode OrderPlaced: JSON is malformed"):
        MsgspecJSON(OrderPlaced).decode(b"\x00garbage")


def test_msgspec_json__json_schema() -> None:
    """json_schema() is msgspec's JSON Schema of the payload type."""
    schema = MsgspecJSON(OrderPlaced).json_schema()
    assert schema is not None
    assert schema["$defs"]["OrderPlaced"]["required"] == ["order_id", "qty"]


def test_msgspec_json__hooks_allow_custom_types() -> None:
    """With enc_hook and dec_hook a custom type is accepted, and has no JSON Schema."""

    class Money:
        def __init__(self, cents: int) -> None:
            self.cents = cents

    serializer = MsgspecJSON(
        Money,
        enc_hook=lambda obj: obj.cents,
        dec_hook=lambda tp, obj: tp(obj),
    )
    assert serializer.decode(serializer.encode(Money(5))).cents == 5
    assert serializer.json_schema() is None


@pytest.mark.parametrize("schema", [Foo, object, list[Foo], dict[str, Foo]])
def test_resolve_serializer__unsupported_class(schema: Any) -> None:
    """A class msgspec knows nothing about is rejected when the event is declared."""
    name = "object" if schema is object else "Foo"
    expected = (
        f"walnats cannot serialize {schema!r}: {name} is not a type msgspec supports. "
        f"Use a msgspec Struct, a dataclass, a pydantic model, a primitive type, "
        f"or pass serializer=..."
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(expected)}$"):
        resolve_serializer(schema)


def test_resolve_serializer__unsupported_union() -> None:
    """msgspec's own reason is passed on for schemas it refuses outright."""
    with pytest.raises(ConfigError, match=r"^walnats cannot serialize .*: Type unions containing"):
        resolve_serializer(int | Foo)


def test_resolve_serializer__undefined_annotation() -> None:
    """A Struct whose annotations name an undefined type is rejected at declaration."""

    class Broken(msgspec.Struct):
        missing: Undefined  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(
        ConfigError, match=r"^walnats cannot serialize .*Broken.*: name 'Undefined' is"
    ):
        resolve_serializer(Broken)


def test_resolve_serializer__pydantic_v1_model() -> None:
    """A pydantic v1-style model gets its own explanation."""
    with warnings.catch_warnings():  # pydantic.v1 warns on Python >= 3.14
        warnings.simplefilter("ignore")
        from pydantic.v1 import BaseModel as V1BaseModel

        class LegacyInvoice(V1BaseModel):
            number: str

    expected = (
        f"walnats cannot serialize {LegacyInvoice!r}: pydantic v1 models are not supported, "
        f"derive from pydantic.BaseModel (v2). Use a msgspec Struct"
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(expected)}"):
        resolve_serializer(LegacyInvoice)


def test_resolve_serializer__bytes() -> None:
    """bytes payloads pass through RawBytes untouched."""
    serializer = resolve_serializer(bytes)
    assert isinstance(serializer, RawBytes)
    assert serializer.content_type == "application/octet-stream"
    assert serializer.decode(serializer.encode(b"\x00\xff")) == b"\x00\xff"
    assert serializer.encode(bytearray(b"ab")) == b"ab"


def test_raw_bytes__encode_str() -> None:
    """A str is not bytes: RawBytes does not guess an encoding."""
    with pytest.raises(EncodeError, match=r"^expected bytes, got str$"):
        RawBytes().encode("text")  # type: ignore[arg-type]


def test_resolve_serializer__explicit_serializer_wins() -> None:
    """A user serializer implementing the protocol is used as given."""
    csv = CSVRow()
    serializer = resolve_serializer(tuple[str, ...], csv)
    assert serializer is csv
    assert serializer.decode(serializer.encode(("a", "b"))) == ("a", "b")


def test_resolve_serializer__explicit_missing_decode() -> None:
    """An object without decode() is rejected with the list of what is wrong."""
    expected = (
        "NoDecode is not a walnats Serializer: it has no decode. Implement content_type, "
        "encode(message) -> bytes, decode(data) -> message and json_schema() -> dict | None."
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(expected)}$"):
        resolve_serializer(str, NoDecode())  # type: ignore[arg-type]


def test_resolve_serializer__explicit_class_not_instance() -> None:
    """Passing the serializer class instead of an instance is caught."""
    expected = "serializer must be an instance, got the class CSVRow: pass serializer=CSVRow(...)"
    with pytest.raises(ConfigError, match=f"^{re.escape(expected)}$"):
        resolve_serializer(str, CSVRow)  # type: ignore[arg-type]


def test_pydantic_json__round_trip() -> None:
    """A pydantic v2 model resolves to PydanticJSON and round trips."""
    serializer = resolve_serializer(Invoice)
    assert isinstance(serializer, PydanticJSON)
    invoice = Invoice(number="A-1", total=Decimal("9.99"), lines=[1, 2])
    assert serializer.decode(serializer.encode(invoice)) == invoice


def test_pydantic_json__validation_error() -> None:
    """Failed validators raise DecodeError with msgspec-style paths."""
    serializer = PydanticJSON(Invoice)
    expected = (
        "cannot decode Invoice: Input should be greater than or equal to 0 - at `$.total`; "
        "Input should be a valid integer, unable to parse string as an integer - at `$.lines[1]`"
    )
    with pytest.raises(DecodeError, match=f"^{re.escape(expected)}$"):
        serializer.decode(b'{"number": "A-1", "total": "-1", "lines": [1, "x"]}')


def test_pydantic_json__encode_wrong_class() -> None:
    """Encoding a different object than the model fails with EncodeError."""
    with pytest.raises(EncodeError, match=r"^expected Invoice, got OrderPaid$"):
        PydanticJSON(Invoice).encode(OrderPaid(order_id=1))  # type: ignore[arg-type]


def test_pydantic_json__generic_schema() -> None:
    """Explicit PydanticJSON accepts any TypeAdapter type, validating on encode too."""
    serializer = PydanticJSON(list[Invoice])
    invoices = [Invoice(number="A-1", total=Decimal(1))]
    assert serializer.decode(serializer.encode(invoices)) == invoices
    with pytest.raises(EncodeError, match=r"^cannot encode list as list\[.*Invoice\]: "):
        serializer.encode([1])  # type: ignore[list-item]


def test_pydantic_json__json_schema() -> None:
    """json_schema() is the model's model_json_schema()."""
    assert PydanticJSON(Invoice).json_schema() == Invoice.model_json_schema()


def test_schema_components__shared_definitions() -> None:
    """Structs and pydantic models land in one components dict, referenced by name."""
    refs, components = schema_components([OrderPlaced, Cart, Invoice, bytes])
    assert refs == [
        {"$ref": "#/components/schemas/OrderPlaced"},
        {"$ref": "#/components/schemas/Cart"},
        {"$ref": "#/components/schemas/Invoice"},
        {"type": "string", "format": "binary"},
    ]
    assert set(components) == {"OrderPlaced", "Cart", "Line", "Invoice"}
    assert components["Cart"]["properties"]["lines"]["items"] == {
        "$ref": "#/components/schemas/Line"
    }


def test_schema_components__name_clash() -> None:
    """Two different types with the same name cannot share the components dict."""

    class Invoice(msgspec.Struct):  # same name as the pydantic model above
        number: int

    with pytest.raises(ConfigError, match=r"^two different payload types are both named 'Invoice'"):
        schema_components([Invoice, globals()["Invoice"]])


def test_gzip__round_trip() -> None:
    """GZip compresses the inner serializer's bytes into a standard gzip stream."""
    serializer = GZip(MsgspecJSON(list[int]), level=9)
    data = serializer.encode(list(range(1000)))
    assert gzip.decompress(data) == MsgspecJSON(list[int]).encode(list(range(1000)))
    assert serializer.decode(data) == list(range(1000))
    assert serializer.content_type == "application/json"
    assert serializer.content_encoding == "gzip"
    assert serializer.json_schema() == MsgspecJSON(list[int]).json_schema()
    assert isinstance(serializer, Serializer)


def test_gzip__decode_not_gzip() -> None:
    """Bytes that are not gzip fail with DecodeError."""
    with pytest.raises(DecodeError, match=r"^cannot decode gzip payload: "):
        GZip(RawBytes()).decode(b"plain")


def test_gzip__decode_truncated() -> None:
    """A cut-off gzip stream fails with DecodeError."""
    data = GZip(RawBytes()).encode(b"x" * 1000)
    with pytest.raises(DecodeError, match=r"^cannot decode gzip payload: it is truncated$"):
        GZip(RawBytes()).decode(data[:-10])


def test_gzip__decode_bomb() -> None:
    """Decompression stops at max_size."""
    data = GZip(RawBytes()).encode(b"\x00" * 10_000)
    with pytest.raises(DecodeError, match=r"^gzip payload expands beyond max_size=1000 bytes$"):
        GZip(RawBytes(), max_size=1000).decode(data)


def test_gzip__invalid_level() -> None:
    """A compression level outside 0-9 is a declaration error."""
    with pytest.raises(ConfigError, match=r"^GZip level must be between 0 and 9, got 10$"):
        GZip(RawBytes(), level=10)


def test_schema_components__msgspec_name_clash() -> None:
    """Two Structs of the same name from different scopes are reported, not a KeyError."""

    first = msgspec.defstruct("Invoice", [("number", int)])
    second = msgspec.defstruct("Invoice", [("number", str)])
    with pytest.raises(ConfigError, match=r"^two different payload types are both named 'Invoice'"):
        schema_components([first, second])


def test_resolve_serializer__does_not_import_pydantic() -> None:
    """Resolving non-pydantic schemas never imports pydantic (it is an optional extra)."""
    code = (
        "import sys, msgspec\n"
        "from walnats._serializers import resolve_serializer\n"
        "class A(msgspec.Struct):\n    x: int\n"
        "resolve_serializer(A); resolve_serializer(int); resolve_serializer(bytes)\n"
        "assert 'pydantic' not in sys.modules, 'pydantic was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parent.parent)
