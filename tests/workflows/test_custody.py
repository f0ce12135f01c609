from datetime import datetime, timedelta, timezone

from workflows.custody import GENESIS, append, canonical_json, event_hash, event_payload, verify_chain


def chain(n):
    links, head = [], GENESIS
    t0 = datetime(2025, 1, 1, tzinfo=timezone.utc)
    for i in range(n):
        payload = event_payload(batch_id=1, seq=i + 1, device_id=10 + i, action="receive",
                                from_state="registered", to_state="received", actor_id=3,
                                actor_label="Zoë Tech", evidence={"note": "ok"}, created_at=t0 + timedelta(i))
        link = append(head, payload)
        links.append(link)
        head = link.hash
    return links


def test_canonical_json_sorts_keys_has_no_spaces_and_keeps_unicode():
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'


def test_naive_and_aware_utc_datetimes_hash_the_same():
    naive, aware = datetime(2025, 1, 1, 12), datetime(2025, 1, 1, 12, tzinfo=timezone.utc)
    assert event_hash(GENESIS, {"t": naive}) == event_hash(GENESIS, {"t": aware})


def test_other_timezones_are_normalised_to_utc():
    cet = timezone(timedelta(hours=1))
    assert canonical_json({"t": datetime(2025, 1, 1, 13, tzinfo=cet)}) == '{"t":"2025-01-01T12:00:00.000000+00:00"}'


def test_intact_chain_verifies():
    report = verify_chain(chain(5))
    assert report.ok and report.count == 5


def test_altered_payload_is_named_by_index_and_seq():
    links = chain(5)
    links[2].payload["actor_label"] = "someone else"
    report = verify_chain(links)
    assert (report.ok, report.first_bad_index, report.first_bad_seq) == (False, 2, 3)
    assert "altered" in report.reason


def test_deleted_event_is_detected_at_the_event_after_the_gap():
    links = chain(5)
    del links[1]
    report = verify_chain(links)
    assert not report.ok and report.first_bad_index == 1 and "deleted" in report.reason


def test_swapped_events_are_detected_at_the_first_swapped_position():
    links = chain(5)
    links[1], links[2] = links[2], links[1]
    assert verify_chain(links).first_bad_index == 1


def test_truncated_tail_is_detected_only_with_expected_head():
    links = chain(5)
    assert verify_chain(links[:3]).ok
    report = verify_chain(links[:3], expected_head=links[-1].hash)
    assert not report.ok and report.first_bad_index == 3


def test_tuples_are_accepted_as_events():
    assert verify_chain([(l.payload, l.prev_hash, l.hash) for l in chain(3)]).ok


def test_event_hash_definition_is_unchanged_whatever_the_timestamp_zone():
    """Pinned to the value the chain's first definition gave: chains already stored must still verify."""
    for created_at in (datetime(2025, 1, 1, 13, 30, tzinfo=timezone(timedelta(hours=1))), datetime(2025, 1, 1, 12, 30)):
        payload = event_payload(batch_id=1, seq=1, device_id=10, action="sanitize", from_state="received",
                                to_state="sanitized", actor_id=3, actor_label="Zoë Tech",
                                evidence={"medium_id": 4, "reasons": []}, created_at=created_at)
        assert event_hash(GENESIS, payload) == "dc5bd8dc750389b6ce5b6b71f0dc726bf9d43c8007c8e7b52df32041bc3ceecb"


def test_events_sharing_a_timestamp_each_hash_their_own_time():
    t = datetime(2025, 1, 1, 12, tzinfo=timezone.utc)
    first = event_payload(batch_id=1, seq=1, device_id=1, action="receive", from_state=None, to_state="received",
                          actor_id=1, actor_label="a", evidence=None, created_at=t)
    later = dict(first, created_at=t + timedelta(microseconds=1))
    again = event_payload(batch_id=1, seq=1, device_id=1, action="receive", from_state=None, to_state="received",
                          actor_id=1, actor_label="a", evidence=None, created_at=t)
    assert event_hash(GENESIS, first) == event_hash(GENESIS, again)
    assert event_hash(GENESIS, {**first, "created_at": t}) == event_hash(GENESIS, first)
    assert event_hash(GENESIS, later) != event_hash(GENESIS, first)
