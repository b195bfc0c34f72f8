"""CloudEvents over NATS: header encoding, binary and structured mode, lenient parsing."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from walnats._cloudevents import (
    STRUCTURED_CONTENT_TYPE,
    CloudEvent,
    ce_decode,
    ce_encode,
    is_structured,
    read_cloud_event,
)
from walnats._errors import CloudEventError, ConfigError, EncodeError
from walnats._headers import ce_format_time, ce_parse_time, header_lookup, lower_keys

TIME = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
EVENT = CloudEvent(
    id="01JD3W6Q4M8X2V7T5R9K0B1C2D",
    source="/billing/eu-1",
    type="billing.invoice.issued.v1",
    time=TIME,
    datacontenttype="application/json",
)


def test_ce_encode__spec_example() -> None:
    """The binding's example value is encoded exactly as the spec shows."""
    assert ce_encode("Euro € 😀") == "Euro%20%E2%82%AC%20%F0%9F%98%80"


def test_ce_encode__keeps_printable_ascii() -> None:
    """URI characters stay readable; only space, quote and percent are escaped in ASCII."""
    assert ce_encode("/billing/eu-1?x=1&y=:") == "/billing/eu-1?x=1&y=:"
    assert ce_encode('a "b" 100%\n') == "a%20%22b%22%20100%25%0A"


def test_ce_decode__spec_example() -> None:
    """The binding's example value decodes back to the original string."""
    assert ce_decode("Euro%20%E2%82%AC%20%F0%9F%98%80", "ce-id") == "Euro € 😀"


def test_ce_decode__rejects_invalid_utf8() -> None:
    """An overlong UTF-8 sequence is an error naming the header, never U+FFFD."""
    expected = (
        "invalid ce-subject header: '%C0%A0' percent-decodes to invalid UTF-8 "
        "(invalid start byte); the sender must percent-encode the value's UTF-8 bytes"
    )
    with pytest.raises(CloudEventError, match=f"^{re.escape(expected)}$"):
        ce_decode("%C0%A0", "ce-subject")


def test_ce_decode__lower_case_hex() -> None:
    """Lower-case hex digits are accepted."""
    assert ce_decode("Euro%20%e2%82%ac", "ce-id") == "Euro €"


def test_ce_decode__needless_and_stray_escapes() -> None:
    """Needlessly encoded characters decode, and a stray percent sign is kept."""
    assert ce_decode("%41%2Fb", "ce-id") == "A/b"
    assert ce_decode("100%", "ce-id") == "100%"


def test_ce_decode__quoted_value() -> None:
    """RFC 7230 quoted strings are unquoted, with backslash escapes, before decoding."""
    assert ce_decode('"Euro%20\\"x\\" \\\\"', "ce-id") == 'Euro "x" \\'


def test_ce_format_time__single_z() -> None:
    """UTC renders with one Z, other offsets are converted to UTC."""
    assert ce_format_time(TIME) == "2026-03-01T12:00:00Z"
    plus_two = dt.datetime(2026, 3, 1, 14, 0, 0, 500, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert ce_format_time(plus_two) == "2026-03-01T12:00:00.000500Z"


def test_cloud_event__as_headers() -> None:
    """Binary mode sends the policy's example headers, with a plain content-type too."""
    assert EVENT.as_headers() == {
        "ce-specversion": "1.0",
        "ce-id": "01JD3W6Q4M8X2V7T5R9K0B1C2D",
        "ce-source": "/billing/eu-1",
        "ce-type": "billing.invoice.issued.v1",
        "ce-time": "2026-03-01T12:00:00Z",
        "ce-datacontenttype": "application/json",
        "content-type": "application/json",
    }


def test_cloud_event__binary_round_trip() -> None:
    """Every attribute, extensions and non-ASCII text included, survives the headers."""
    event = CloudEvent(
        id="1",
        source="/shop",
        type="order.placed.v1",
        time=dt.datetime(2026, 3, 1, 14, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        datacontenttype="application/json; charset=utf-8",
        dataschema="https://example.com/schemas/order.json",
        subject="Euro € 😀",
        extensions={"correlationid": "c 1", "traceparent": "00-abc-def-01"},
    )
    headers = event.as_headers()
    assert headers["ce-subject"] == "Euro%20%E2%82%AC%20%F0%9F%98%80"
    assert headers["ce-correlationid"] == "c%201"
    assert CloudEvent.from_headers(headers) == event


def test_cloud_event__from_headers_go_sdk_style() -> None:
    """Unencoded values, a plain content-type and mixed-case names are accepted."""
    headers = {
        "Ce-Specversion": "1.0",
        "Ce-Id": "a b",
        "Ce-Source": "/go",
        "Ce-Type": "x.v1",
        "Ce-Time": "2026-03-01T12:00:00.123456789Z",
        "Content-Type": "application/json",
        "Ce-Sequence": "7",
    }
    assert CloudEvent.from_headers(headers) == CloudEvent(
        id="a b",
        source="/go",
        type="x.v1",
        time=dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC),
        datacontenttype="application/json",
        extensions={"sequence": "7"},
    )


def test_cloud_event__from_headers_prefers_ce_datacontenttype() -> None:
    """ce-datacontenttype wins over content-type when both are present."""
    headers = {**EVENT.as_headers(), "content-type": "text/plain"}
    event = CloudEvent.from_headers(headers)
    assert event is not None
    assert event.datacontenttype == "application/json"


@pytest.mark.parametrize("headers", [None, {}, {"content-type": "application/json"}])
def test_cloud_event__from_headers_plain_message(headers: dict[str, str] | None) -> None:
    """A message without ce-specversion is not a CloudEvent."""
    assert CloudEvent.from_headers(headers) is None


def test_cloud_event__from_headers_missing_attributes() -> None:
    """All missing required attributes are named at once."""
    expected = r"^CloudEvent is missing required attributes: ce-id, ce-source$"
    with pytest.raises(CloudEventError, match=expected):
        CloudEvent.from_headers({"ce-specversion": "1.0", "ce-type": "x.v1", "ce-id": ""})


def test_cloud_event__from_headers_invalid_utf8() -> None:
    """A header with invalid UTF-8 escapes is rejected, naming the header."""
    headers = {**EVENT.as_headers(), "ce-subject": "%C0%A0"}
    with pytest.raises(CloudEventError, match=r"^invalid ce-subject header: "):
        CloudEvent.from_headers(headers)


def test_cloud_event__from_headers_invalid_time() -> None:
    """A ce-time that is not an RFC 3339 timestamp with offset is rejected."""
    headers = {**EVENT.as_headers(), "ce-time": "2026-03-01T12:00:00"}
    expected = r"^invalid ce-time: '2026-03-01T12:00:00' is not an RFC 3339 timestamp$"
    with pytest.raises(CloudEventError, match=expected):
        CloudEvent.from_headers(headers)


def test_cloud_event__from_headers_invalid_extension_name() -> None:
    """An extension header whose name breaks the naming rules is named in the error."""
    headers = {**EVENT.as_headers(), "ce-correlation_id": "1"}
    expected = (
        "invalid CloudEvent extension names: ce-correlation_id; names are 1-20 "
        "lower-case letters or digits"
    )
    with pytest.raises(CloudEventError, match=f"^{re.escape(expected)}$"):
        CloudEvent.from_headers(headers)


def test_cloud_event__from_headers_other_specversion() -> None:
    """CloudEvents 0.3 has other attributes, so it is refused rather than misread."""
    headers = {**EVENT.as_headers(), "ce-specversion": "0.3"}
    with pytest.raises(CloudEventError, match=r"^ce-specversion is '0.3', walnats reads 1.0 only$"):
        CloudEvent.from_headers(headers)


@pytest.mark.parametrize(
    "name", ["correlation_id", "TraceParent", "a" * 21, "", "time", "data", "id"]
)
def test_cloud_event__invalid_extension_name(name: str) -> None:
    """Extension names are 1-20 lower-case letters or digits and no core attribute."""
    expected = (
        f"invalid CloudEvent extension name {name!r}: use 1-20 lower-case letters or digits, "
        f"not a core attribute name"
    )
    with pytest.raises(ConfigError, match=f"^{re.escape(expected)}$"):
        CloudEvent(id="1", source="/s", type="t", extensions={name: "x"})


def test_cloud_event__valid_extension_names() -> None:
    """Twenty characters, digits included, are fine."""
    event = CloudEvent(id="1", source="/s", type="t", extensions={"a1" * 10: "x"})
    assert event.extensions == {"a1" * 10: "x"}


def test_cloud_event__naive_time() -> None:
    """A naive time would be ambiguous on the wire, so it is refused."""
    with pytest.raises(ConfigError, match=r"^CloudEvent time must be timezone-aware"):
        CloudEvent(id="1", source="/s", type="t", time=dt.datetime(2026, 3, 1))  # noqa: DTZ001 - naive on purpose


def test_cloud_event__empty_required_attribute() -> None:
    """id, source and type must not be empty."""
    with pytest.raises(ConfigError, match=r"^CloudEvent source must be a non-empty str$"):
        CloudEvent(id="1", source="", type="t")


def test_cloud_event__datacontenttype_control_characters() -> None:
    """A content type that could inject a header line is refused."""
    with pytest.raises(ConfigError, match=r"is not a media type$"):
        CloudEvent(id="1", source="/s", type="t", datacontenttype="text/plain\r\nx: y")


def test_cloud_event__structured_json_round_trip() -> None:
    """JSON data is embedded as a JSON value and comes back as the same JSON text."""
    event = CloudEvent(id="1", source="/s", type="t", time=TIME, datacontenttype="application/json")
    payload = event.to_structured(b'{"qty":2}')
    assert json.loads(payload) == {
        "specversion": "1.0",
        "id": "1",
        "source": "/s",
        "type": "t",
        "time": "2026-03-01T12:00:00Z",
        "datacontenttype": "application/json",
        "data": {"qty": 2},
    }
    assert CloudEvent.from_structured(payload) == (event, b'{"qty":2}')


def test_cloud_event__structured_binary_round_trip() -> None:
    """Non-JSON data travels as data_base64."""
    event = CloudEvent(
        id="1",
        source="/s",
        type="t",
        datacontenttype="application/octet-stream",
        extensions={"correlationid": "c1"},
    )
    payload = event.to_structured(b"\x00\xff")
    assert json.loads(payload)["data_base64"] == "AP8="
    assert json.loads(payload)["correlationid"] == "c1"
    assert CloudEvent.from_structured(payload) == (event, b"\x00\xff")


def test_cloud_event__structured_no_data() -> None:
    """An event without data has neither data member and decodes to empty bytes."""
    event = CloudEvent(id="1", source="/s", type="t")
    assert CloudEvent.from_structured(event.to_structured(b"")) == (event, b"")


def test_cloud_event__structured_invalid_json_data() -> None:
    """A JSON content type with a non-JSON payload cannot be embedded."""
    with pytest.raises(EncodeError, match=r"^cannot embed the data of CloudEvent '01JD"):
        EVENT.to_structured(b"{not json")


def test_cloud_event__from_structured_foreign() -> None:
    """Text data, null members, and integer or boolean extensions from other SDKs are read."""
    payload = (
        b'{"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "subject": null,'
        b' "datacontenttype": "text/plain", "sampledrate": 10, "flag": true, "data": "h\\u00e9"}'
    )
    event, data = CloudEvent.from_structured(payload)
    assert event == CloudEvent(
        id="1",
        source="/s",
        type="t",
        datacontenttype="text/plain",
        extensions={"sampledrate": "10", "flag": "true"},
    )
    assert data == "hé".encode()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"[1]", r"^structured CloudEvent is not a JSON object: "),
        (
            b'{"specversion": "1.0"}',
            r"^CloudEvent is missing required attributes: id, source, type$",
        ),
        (
            b'{"specversion": "1.0", "id": 5, "source": "/s", "type": "t"}',
            r"^structured CloudEvent attribute 'id' must be a string$",
        ),
        (
            b'{"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "data_base64": "!"}',
            r"^structured CloudEvent has invalid data_base64: ",
        ),
        (
            (
                b'{"specversion": "1.0", "id": "1", "source": "/s", "type": "t", "data": 1,'
                b' "data_base64": "AA=="}'
            ),
            r"^structured CloudEvent has both data and data_base64$",
        ),
    ],
)
def test_cloud_event__from_structured_invalid(payload: bytes, message: str) -> None:
    """Malformed structured events raise CloudEventError saying what is wrong."""
    with pytest.raises(CloudEventError, match=message):
        CloudEvent.from_structured(payload)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"content-type": STRUCTURED_CONTENT_TYPE}, True),
        ({"Content-Type": "Application/CloudEvents+json; charset=utf-8"}, True),
        ({"content-type": "application/json", "ce-specversion": "1.0"}, False),
        ({}, False),
        (None, False),
    ],
)
def test_is_structured(headers: dict[str, str] | None, expected: bool) -> None:
    """Structured mode is recognised by the content type, in any case."""
    assert is_structured(headers) is expected


def test_read_cloud_event__modes() -> None:
    """Structured, binary and plain messages are each told apart."""
    structured = read_cloud_event(
        {"content-type": STRUCTURED_CONTENT_TYPE}, EVENT.to_structured(b"1")
    )
    assert structured == (EVENT, b"1")
    assert read_cloud_event(EVENT.as_headers(), b"1") == (EVENT, b"1")
    assert read_cloud_event({"Nats-Msg-Id": "x"}, b"1") == (None, b"1")


def test_header_lookup__case_insensitive() -> None:
    """Header names match exactly first, then in any case."""
    headers = {"Content-Type": "a", "nats-msg-id": "b"}
    assert header_lookup(headers, "Content-Type") == "a"
    assert header_lookup(headers, "content-type") == "a"
    assert header_lookup(headers, "Nats-Msg-Id") == "b"
    assert header_lookup(headers, "ce-id") is None
    assert header_lookup(None, "ce-id") is None


def test_lower_keys__copy() -> None:
    """lower_keys returns a new dict with lower-case names for repeated lookups."""
    headers = {"Ce-Id": "1", "content-type": "a"}
    assert lower_keys(headers) == {"ce-id": "1", "content-type": "a"}
    assert headers == {"Ce-Id": "1", "content-type": "a"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-01T12:00:00Z", dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)),
        ("2026-03-01t12:00:00.5z", dt.datetime(2026, 3, 1, 12, 0, 0, 500000, tzinfo=dt.UTC)),
        ("2026-03-01T12:00:00+00:00Z", dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)),
        ("2026-03-01T14:00:00+02:00", dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)),
    ],
)
def test_ce_parse_time__variants(value: str, expected: dt.datetime) -> None:
    """RFC 3339 in any case and offset is read, and so is walnats 1.x's "+00:00Z"."""
    assert ce_parse_time(value, "ce-time") == expected


@pytest.mark.parametrize("value", ["", "2026-03-01", "yesterday", "2026-03-01T12:00:00"])
def test_ce_parse_time__invalid(value: str) -> None:
    """Timestamps without an offset, or no timestamps at all, are refused."""
    with pytest.raises(
        CloudEventError, match=r"^invalid ce-time: .* is not an RFC 3339 timestamp$"
    ):
        ce_parse_time(value, "ce-time")
