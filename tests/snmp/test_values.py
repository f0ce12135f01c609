"""Decoding what agents send: padded, mis-encoded or mistyped values never raise."""

from __future__ import annotations

from pysnmp.proto import rfc1902, rfc1905

from itad.snmp import values


def test_padding_with_spaces_and_nuls_is_stripped():
    assert values.text(rfc1902.OctetString(b"FOC123  \x00\x00")) == "FOC123"


def test_utf8_is_preferred_and_latin1_is_the_fallback():
    assert values.text(rfc1902.OctetString("网络中心机房".encode())) == "网络中心机房"
    assert values.text(rfc1902.OctetString(b"Caf\xe9")) == "Café"


def test_absent_values_read_as_none():
    for absent in (rfc1905.NoSuchObject(), rfc1905.NoSuchInstance(), rfc1905.EndOfMibView(), None,
                   rfc1902.OctetString(b"   ")):
        assert values.text(absent) is None
        assert values.integer(absent) is None


def test_numbers_and_oids_read_as_text_when_a_string_was_expected():
    assert values.text(rfc1902.Integer32(7)) == "7"
    assert values.text(rfc1902.ObjectIdentifier("1.3.6.1.4.1.9")) == "1.3.6.1.4.1.9"
    assert values.text(rfc1902.IpAddress("10.0.0.1")) == "10.0.0.1"


def test_integers_come_from_integer_types_or_digit_strings_only():
    assert values.integer(rfc1902.Gauge32(5)) == 5
    assert values.integer(rfc1902.OctetString(b"42 ")) == 42
    assert values.integer(rfc1902.OctetString(b"many")) is None
    assert values.oid(rfc1902.OctetString(b"1.3.6")) is None
