"""The probe against a real snmpsim agent on 127.0.0.1 (see conftest.py)."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from pyasn1.codec.ber import decoder
from pyasn1.codec.cer import encoder as cer_encoder
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v2c

from itad.snmp import ManifestDevice, Target, probe, probe_hosts, probe_many, reconcile

from .conftest import DATA_DIR

CISCO = "cisco-c3560.system+entity"


def run(target: Target):
    return asyncio.run(probe(target))


def test_cisco_switch_reports_chassis_serial_model_and_maker_from_entity_mib(probed):
    result = probed(CISCO)
    assert result.ok, result.error
    assert result.chassis_serial == "FOC1408Z61U"
    assert result.model == "WS-C3560G-48TS-E"
    assert result.manufacturer == "Cisco"  # entPhysicalMfgName is empty: the vendor table names the maker
    assert result.sys_name == "DUMSYS-04"
    assert result.sys_object_id == "1.3.6.1.4.1.9.1.617"
    assert result.sys_uptime == 492446481
    assert result.chassis.index == 1001


def test_cisco_entities_are_classified_and_padded_serials_are_stripped(probed):
    entities = {entity.index: entity for entity in probed(CISCO).entities}
    assert len(entities) == 61
    assert entities[1001].class_ == "chassis"
    assert entities[1003].class_ == "powerSupply"
    assert entities[1003].serial == "AZS142215C3"
    assert entities[1058].class_ == "port"
    assert entities[1058].name == "GigabitEthernet0/49"
    assert entities[1058].serial == "AGT1105U10Z"  # recorded as hex with five trailing spaces


def test_cisco_sys_descr_is_decoded_from_hex_and_keeps_its_lines(probed):
    sys_descr = probed(CISCO).sys_descr
    assert sys_descr.startswith("Cisco IOS Software, C3560 Software (C3560-IPSERVICESK9-M), Version 12.2(55)SE3")
    assert "\r" not in sys_descr and "\nTechnical Support" in sys_descr


def test_linksys_router_without_entity_mib_is_reachable_but_has_no_serial(probed):
    result = probed("linksys-system")
    assert result.ok and result.error is None
    assert result.sys_descr == "BEFSX41"
    assert result.sys_name == "isp-gw"
    assert result.entities == [] and result.storage == []
    assert result.chassis_serial is None


def test_eaton_ups_without_sys_descr_is_identified_from_its_vendor_oids(probed):
    result = probed("eaton-9PX-partial-walk")
    assert result.ok, result.error
    assert result.sys_descr is None and result.sys_name is None
    assert result.model == "Eaton 9PX 2200i RT 3U"  # xupsIdentModel, recorded as hex
    assert result.manufacturer == "Eaton"
    assert result.vendor_serial == result.chassis_serial == "GX13G45099"  # MGE upsmgIdentSerialNumber


def test_brother_printer_serial_comes_from_the_brother_vendor_oid(probed):
    result = probed("brother-mfc")
    assert result.ok, result.error
    assert result.printer_serial is None
    assert result.chassis_serial == result.vendor_serial == "000A5J431816"
    assert result.model == "Brother MFC-L2710DW series"
    assert result.manufacturer == "Brother"  # not HP, although the firmware also answers an HP-enterprise OID


def test_printer_mib_serial_wins_over_the_vendor_serial_and_loses_its_padding(probed):
    result = probed("printer-with-disk")
    assert result.printer_serial == "JPBCK12345"
    assert result.vendor_serial == "VENDOR-SERIAL-LOSES"
    assert result.chassis_serial == "JPBCK12345"


def test_printer_storage_areas_and_disks_are_typed_and_sized_in_bytes(probed):
    storage = {(entry.source, entry.index): entry for entry in probed("printer-with-disk").storage}
    assert storage["hrStorage", 1].type == "ram" and storage["hrStorage", 1].size_bytes == 1024 * 524288
    assert storage["hrStorage", 2].type == "fixedDisk" and storage["hrStorage", 2].size_bytes == 4096 * 78125000
    assert storage["hrStorage", 3].type == "flashMemory" and storage["hrStorage", 3].descr == "Flash File System"
    assert storage["hrStorage", 4].type == "removableDisk"
    disk = storage["hrDisk", 2]
    assert (disk.type, disk.removable, disk.capacity_kb) == ("hardDisk", False, 312500000)
    assert disk.descr == "Internal Hard Disk"  # from hrDeviceDescr, same index as hrDiskStorageTable
    assert disk.size_bytes == 312500000 * 1024
    assert storage["hrDisk", 3].removable is True
    assert storage["hrDisk", 4].type == "ramDisk" and not storage["hrDisk", 4].data_bearing


def test_printer_reconciliation_lists_disks_and_flash_as_media_but_not_ram(probed):
    result = probed("printer-with-disk")
    media = reconcile(result, [ManifestDevice(1, "jpbck12345 ")]).media
    assert [(m.source, m.type) for m in media] == [("hrDisk", "hardDisk"), ("hrDisk", "unknown"),
                                                   ("hrStorage", "flashMemory")]


def test_values_of_the_wrong_type_are_read_without_crashing(probed):
    result = probed("odd-types")
    assert result.ok, result.error
    assert result.sys_descr == "42"  # an Integer where a string belongs still reads as text
    assert result.sys_object_id is None  # an OctetString is no OID: no vendor guess from it
    assert result.sys_uptime is None
    assert result.sys_name == "Café-switch"  # latin-1 bytes, not valid UTF-8
    entities = {entity.index: entity for entity in result.entities}
    assert entities[1].class_ == "other"  # class sent as the string "chassis" is not trusted
    assert entities[2].descr == "交换机 chassis"
    assert entities[3].class_ == "other"  # class 99 is not in ENTITY-MIB
    assert result.chassis_serial == "SN-ODD-1"  # leading space, trailing NULs and space stripped
    assert result.storage[0].type == "other" and result.storage[0].size_bytes is None


def test_mismatch_reports_both_the_expected_and_the_reported_serial(probed):
    result = probed(CISCO)
    manifest = [ManifestDevice(7, "FOC0000AAAA", "WS-C3560G-48TS-E"), ManifestDevice(8, " foc1408z61u")]
    outcome = reconcile(result, manifest, expected_device_id=7)
    assert outcome.outcome == "mismatch"
    assert (outcome.expected_serial, outcome.reported_serial, outcome.device_id) == ("FOC0000AAAA", "FOC1408Z61U", 8)
    assert "FOC0000AAAA" in outcome.message and "FOC1408Z61U" in outcome.message


def test_snmp_v1_walks_with_getnext_and_skips_missing_vendor_oids(agent):
    result = run(agent.target("printer-with-disk", version="1"))
    assert result.ok, result.error
    assert result.chassis_serial == "JPBCK12345"
    assert result.vendor_serial == "VENDOR-SERIAL-LOSES"  # the 2nd HP serial OID is absent: v1's noSuchName
    assert len(result.storage) == 7


def test_closed_port_reports_no_response_within_the_timeout(closed_port):
    result = run(Target("127.0.0.1", closed_port, community="public", timeout=0.2, retries=1))
    assert not result.ok
    assert result.error == "no response within 0.2 s (1 retries)"
    assert result.seconds < 2


def test_wrong_community_looks_like_silence(agent):
    result = run(agent.target("no-such-recording", timeout=0.2, retries=0))
    assert (result.ok, result.error) == (False, "no response within 0.2 s (0 retries)")


def test_device_answering_random_bytes_is_reported_as_garbage(garbage_port):
    result = run(Target("127.0.0.1", garbage_port, community="public", timeout=0.2, retries=1))
    assert not result.ok
    assert result.error.startswith("device answered garbage: ")
    assert "not SNMP" in result.error


def test_device_answering_well_formed_ber_of_an_unknown_snmp_version_is_garbage(udp_responder):
    port = udp_responder(lambda _request: bytes.fromhex("3006020107040100"))  # SEQUENCE { version 7, "" }
    result = run(Target("127.0.0.1", port, community="public", timeout=0.2, retries=0))
    assert result.error.startswith("device answered garbage: ")
    assert "datagram(s) that are not SNMP (starting 3006020107" in result.error


def test_v3_with_the_right_credentials_reads_the_device(agent):
    result = run(agent.v3_target(CISCO))
    assert result.ok, result.error
    assert (result.chassis_serial, result.model) == ("FOC1408Z61U", "WS-C3560G-48TS-E")


def test_v3_with_a_wrong_auth_key_is_an_authentication_failure(agent):
    result = run(agent.v3_target(CISCO, auth_key="not-the-auth-key"))
    assert not result.ok
    assert result.error == "authentication failed (wrong v3 credentials)"
    assert result.chassis_serial is None


def test_v3_with_a_wrong_privacy_key_is_a_decryption_failure(agent):
    result = run(agent.v3_target(CISCO, priv_key="not-the-priv-key"))
    assert result.error == "decryption failed (wrong v3 privacy key or protocol)"


def test_v3_with_an_unknown_user_says_so(agent):
    result = run(agent.v3_target(CISCO, user="mallory"))
    assert result.error == "authentication failed (the device has no v3 user 'mallory')"


def test_v3_failure_never_shows_the_keys(agent):
    target = agent.v3_target(CISCO, auth_key="not-the-auth-key")
    result = run(target)
    for text in (repr(target), str(target), repr(result), result.error):
        assert "not-the-auth-key" not in text and "priv-secret" not in text


def test_probe_many_keeps_order_and_one_bad_host_does_not_stop_the_rest(agent, closed_port, garbage_port):
    targets = [
        agent.target(CISCO),
        Target("127.0.0.1", closed_port, community="public", timeout=0.2, retries=0),
        agent.target("eaton-9PX-partial-walk"),
        Target("127.0.0.1", garbage_port, community="public", timeout=0.2, retries=0),
        agent.v3_target("brother-mfc"),
        agent.v3_target("linksys-system", auth_key="not-the-auth-key"),
    ]
    progress = []
    results = asyncio.run(probe_many(targets, concurrency=3, on_progress=lambda d, t, r: progress.append((d, t))))
    assert [r.ok for r in results] == [True, False, True, False, True, False]
    assert [r.chassis_serial for r in results] == ["FOC1408Z61U", None, "GX13G45099", None, "000A5J431816", None]
    assert results[1].error.startswith("no response")
    assert results[3].error.startswith("device answered garbage")
    assert results[5].error.startswith("authentication failed")
    assert sorted(progress) == [(n, 6) for n in range(1, 7)]


def test_probe_hosts_runs_from_synchronous_code_like_an_rq_job(agent):
    results = probe_hosts([agent.target("linksys-system"), agent.target("brother-mfc")])
    assert [r.sys_descr[:7] for r in results] == ["BEFSX41", "Brother"]


def test_probe_hosts_refuses_to_nest_inside_a_running_event_loop(agent):
    async def inside():
        probe_hosts([agent.target("linksys-system")])

    with pytest.raises(RuntimeError, match="await probe_many"):
        asyncio.run(inside())


def test_a_table_larger_than_one_bulk_response_is_read_to_its_last_row(probed):
    result = probed("big-storage")
    assert result.ok, result.error
    storage = {entry.index: entry for entry in result.storage}
    assert sorted(storage) == list(range(1, 51))  # 200 values: more than three responses of 60
    assert storage[50].descr == "/vol50" and storage[50].size_bytes == 4096 * 50_000
    assert storage[1].type == "fixedDisk" and storage[2].type == "flashMemory"
    assert storage[7].descr is None and storage[7].size_bytes == 4096 * 7000  # a hole in one column only


def test_a_walk_that_meets_end_of_mib_view_mid_table_keeps_what_it_read(probed):
    result = probed("entity-cut-short")
    assert result.ok, result.error
    entities = {entity.index: entity for entity in result.entities}
    assert [(i, e.class_, e.serial) for i, e in sorted(entities.items())] == [
        (1, "chassis", "CUT0001"), (2, "powerSupply", "PSU0002"), (3, "fan", None)]
    assert result.chassis_serial == "CUT0001"
    assert (entities[1].descr, entities[1].name) == ("Chassis", "chassis-1")


def test_names_and_revisions_are_read_for_hardware_entities_only(probed):
    entities = {entity.index: entity for entity in probed(CISCO).entities}
    chassis = entities[1001]
    assert (chassis.descr, chassis.hardware_rev, chassis.software_rev) == ("WS-C3560G-48TS", "V05", "12.2(55)SE3")
    assert entities[1002].descr == "WS-C3560G-48TS - Fixed Module 0"  # a module, though without a serial
    assert entities[1003].name == "WS-C3560G-48TS - Power Supply 0"  # a power supply with a serial
    port = entities[1006]  # a copper port: no serial, no model, so its class is all a sweep reads
    assert (port.class_, port.serial, port.model_name, port.name, port.descr) == ("port", None, None, None, None)


def test_snmp_v1_reads_a_table_larger_than_one_response_and_the_end_of_the_mib(agent):
    result = run(agent.target("big-storage", version="1"))
    assert result.ok, result.error
    assert len(result.storage) == 50 and result.storage[-1].descr == "/vol50"
    cut = run(agent.target("entity-cut-short", version="1"))
    assert cut.ok, cut.error
    assert [e.serial for e in cut.entities] == ["CUT0001", "PSU0002", None]


def test_an_agent_that_answers_fewer_values_than_asked_is_still_read_in_full(terse_agent, probed):
    for community, entities, storage in ((CISCO, 61, 0), ("printer-with-disk", 0, 7), ("big-storage", 0, 50)):
        result = run(terse_agent.target(community))
        assert result.ok, result.error
        assert (len(result.entities), len(result.storage)) == (entities, storage)
        expected = probed(community)
        assert (result.chassis_serial, result.vendor_serial) == (expected.chassis_serial, expected.vendor_serial)
        assert result.entities == expected.entities and result.storage == expected.storage


@pytest.mark.parametrize("community", sorted(path.stem for path in DATA_DIR.glob("*.snmprec")))
def test_a_recording_reads_the_same_over_v2c_and_over_v3(agent, community):
    """A community request and a v3 request (USM authentication and privacy) of the same recording must
    read the same device."""
    over_v2c = run(agent.target(community, timeout=5.0))
    over_v3 = run(agent.v3_target(community, timeout=5.0, retries=1))
    assert over_v2c.ok and over_v3.ok, (over_v2c.error, over_v3.error)
    assert replace(over_v2c, seconds=0) == replace(over_v3, seconds=0)


def test_an_answer_in_an_unusual_encoding_is_read(udp_responder):
    """Indefinite lengths (CER) are valid BER, which some agents send: the device is read all the same."""
    system = {(1, 3, 6, 1, 2, 1, 1, 1): rfc1902.OctetString(b"CER switch"),
              (1, 3, 6, 1, 2, 1, 1, 2): rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 9, 1, 516)),
              (1, 3, 6, 1, 2, 1, 1, 3): rfc1902.TimeTicks(5), (1, 3, 6, 1, 2, 1, 1, 5): rfc1902.OctetString(b"sw")}

    def reply(request: bytes) -> bytes:
        message, _ = decoder.decode(request, asn1Spec=v2c.Message())
        pdu = v2c.apiMessage.get_pdu(message)
        names = [tuple(name) for name, _ in v2c.apiPDU.get_varbinds(pdu)]
        if pdu.isSameTypeWith(v2c.GetBulkRequestPDU()):  # scalars as non-repeaters, then tables: none here
            scalars = int(v2c.apiBulkPDU.get_non_repeaters(pdu))
            varbinds = [(name + (0,), system[name]) for name in names[:scalars]]
            varbinds += [(name, rfc1905.endOfMibView) for name in names[scalars:]]
        else:  # the vendor's serial OID
            varbinds = [(name, rfc1902.OctetString(b"SER-CER-1")) for name in names]
        response = v2c.apiPDU.get_response(pdu)
        v2c.apiPDU.set_varbinds(response, varbinds)
        v2c.apiMessage.set_pdu(message, response)
        return cer_encoder.encode(message)

    result = run(Target("127.0.0.1", udp_responder(reply), community="public", timeout=1.0, retries=0))
    assert result.ok, result.error
    assert (result.sys_descr, result.manufacturer, result.chassis_serial) == ("CER switch", "Cisco", "SER-CER-1")
