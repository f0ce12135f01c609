"""The hand-made v2c codec agrees with pysnmp's, and hands back to pysnmp what it does not know."""

from __future__ import annotations

import pytest
from pyasn1.codec.ber import encoder
from pyasn1.codec.cer import encoder as cer_encoder
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v2c

from itad.snmp import ber, values


def _message(pdu) -> v2c.Message:
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, "public")
    v2c.apiMessage.set_pdu(message, pdu)
    return message


def _response(varbinds, request_id=2**31 - 2, status=0, index=0) -> v2c.Message:
    pdu = v2c.ResponsePDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, request_id)
    v2c.apiPDU.set_error_status(pdu, status)
    v2c.apiPDU.set_error_index(pdu, index)
    v2c.apiPDU.set_varbinds(pdu, varbinds)
    return _message(pdu)


def test_a_getbulk_request_is_byte_for_byte_what_pysnmp_encodes():
    names = [(1, 3, 6, 1, 2, 1, 1, 1), (1, 3, 6, 1, 4, 1, 2435, 2, 3, 9, 4, 2, 1, 5, 5, 1), (2, 999, 1)]
    pdu = v2c.GetBulkRequestPDU()
    v2c.apiBulkPDU.set_defaults(pdu)
    v2c.apiBulkPDU.set_request_id(pdu, 123456789)
    v2c.apiBulkPDU.set_non_repeaters(pdu, 2)
    v2c.apiBulkPDU.set_max_repetitions(pdu, 300)
    v2c.apiPDU.set_varbinds(pdu, [(name, v2c.null) for name in names])
    assert ber.encode_request(b"public", ber.GET_BULK, 123456789, names, 2, 300) == encoder.encode(_message(pdu))


def test_every_value_type_of_a_response_reads_as_pysnmp_reads_it():
    name = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 11, 1001)
    sent = [rfc1902.OctetString(b"FOC1408Z61U  \x00" + b"x" * 300), rfc1902.Integer32(-5), rfc1902.Counter32(2**32 - 1),
            rfc1902.Gauge32(7), rfc1902.TimeTicks(123456), rfc1902.Counter64(2**64 - 1), rfc1902.Unsigned32(9),
            rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 9, 1, 516)), rfc1902.IpAddress("10.0.0.1"),
            rfc1902.Opaque(b"\x01\x02"), rfc1905.noSuchObject, rfc1905.noSuchInstance, rfc1905.endOfMibView]
    message = encoder.encode(_response([(name + (i,), value) for i, value in enumerate(sent)], status=5, index=2))
    community, request_id, status, index, varbinds = ber.decode_response(message)
    assert (community, request_id, status, index) == (b"public", 2**31 - 2, 5, 2)
    assert [oid for oid, _ in varbinds] == [name + (i,) for i in range(len(sent))]
    for (_, got), expected in zip(varbinds, sent):
        assert (values.text(got), values.integer(got), values.oid(got)) == \
            (values.text(expected), values.integer(expected), values.oid(expected))
    assert varbinds[-1][1] is rfc1905.endOfMibView


@pytest.mark.parametrize("message, why", [
    (cer_encoder.encode(_response([((1, 3, 6, 1, 2, 1, 1, 5, 0), rfc1902.OctetString(b"sw"))])), "indefinite lengths"),
    (bytes.fromhex("3010020100040670756" "26c6963a203020101"), "an SNMPv1 message"),
    (encoder.encode(_response([((1, 3, 6, 1), rfc1902.OctetString(b"x"))]))[:-1], "a truncated datagram"),
])
def test_what_the_codec_does_not_know_is_refused_for_pysnmp_to_read(message, why):
    with pytest.raises(ber.Unusual):
        ber.decode_response(message)
