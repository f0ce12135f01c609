"""Random bench sessions driven through the machine: the rules must hold whatever people try."""

from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, event, given, settings, strategies as st

from workflows.custody import GENESIS, append, event_payload, verify_chain
from workflows.machine import ACTIONS, SYSTEM_ACTIONS, DeviceFacts, MediumFacts, TransitionRefused, allowed_transitions, apply
from workflows.policy import Policy

ACTORS = ["ann", "bob", "cy"]
T0 = datetime(2025, 3, 1, tzinfo=timezone.utc)

policies = st.builds(
    Policy,
    minimum_method=st.sampled_from(["clear", "purge", "destroy"]),
    verification=st.sampled_from(["all", "sample"]),
    sample_percent=st.integers(0, 100),
    resale_allowed=st.booleans(),
    max_failed_wipes=st.integers(1, 4),
)
media = st.lists(
    st.builds(MediumFacts, id=st.integers(1, 5), media_type=st.sampled_from(["hdd", "ssd", "nvme", "unknown"]),
              verification_required=st.booleans()),
    max_size=3, unique_by=lambda m: m.id,
)
devices = st.builds(DeviceFacts, state=st.sampled_from(["registered", "unexpected"]), data_bearing=st.booleans(),
                    media=media.map(tuple), id=st.just(1), no_media_confirmed=st.booleans())
TECHNIQUES = ["overwrite", "crypto_erase", "block_erase", "degauss", "shred", "firmware_sanitize"]


def random_step(data, device, policy):
    """Mostly a move the UI would offer (so sessions get far), sometimes anything at all; destruction
    is offered rarely, or nearly every session would end in the shredder."""
    draw = data.draw
    actor = draw(st.sampled_from(ACTORS))
    offered = allowed_transitions(device, policy, actor)
    gentle = [a for a in offered if a != "destroy"] or offered
    roll = draw(st.integers(0, 19))
    action = draw(st.sampled_from(gentle if roll < 16 and gentle else offered if roll < 18 and offered else ACTIONS))
    step = {"action": action, "actor": actor}
    ids = [m.id for m in device.media] or [1]
    if action in ("sanitize", "verify"):
        step["medium_id"] = draw(st.sampled_from(ids + [None, 5]))
    if action == "sanitize":
        step["method"] = draw(st.sampled_from(["clear", "purge", "destroy"]))
        step["technique"] = draw(st.sampled_from(TECHNIQUES))
        step["result"] = draw(st.sampled_from(["erased"] * 3 + ["failed", "erased_with_warning"]))
        step["hidden_areas"] = draw(st.sampled_from([None, None, "removed", "present"]))
    elif action == "verify":
        step["passed"] = draw(st.sampled_from([True, True, True, False]))
    elif action == "grade":
        step["grade"] = draw(st.sampled_from(["A", "B", ""]))
    elif action == "mark_missing":
        step["batch_closing"] = draw(st.booleans())
    elif action == "match":
        step["manifest_device_id"] = draw(st.sampled_from([None, 7]))
    elif action == "destroy":
        step["technique"] = draw(st.sampled_from([None, "shred", "overwrite"]))
    return step


def run(device, policy, session):
    """Drive the session (steps, or a callable drawing the next step); return the device and custody links."""
    links, head, seq = [], GENESIS, 0
    steps = iter(session) if not callable(session) else (session(device_ref) for _ in range(25))
    device_ref = device
    for step in steps:
        step = dict(step)
        action, actor = step.pop("action"), step.pop("actor")
        before = device
        allowed = allowed_transitions(device, policy, actor)
        try:
            out = apply(device, action, actor, policy, **step)
        except TransitionRefused as refused:
            assert device == before and refused.state == device.state
            if before.state == "destroyed":
                assert "final state" in str(refused)
            continue
        assert action in allowed or action in SYSTEM_ACTIONS, "apply accepted an action allowed_transitions did not offer"
        if before.state == "destroyed":
            raise AssertionError("a destroyed device changed")
        if out.to_state == "cleared":
            check_clearable(out.device, policy)
        device = device_ref = out.device
        seq += 1
        payload = event_payload(batch_id=1, seq=seq, device_id=1, action=out.action, from_state=out.from_state,
                                to_state=out.to_state, actor_id=actor, actor_label=actor,
                                evidence=out.evidence, created_at=T0 + timedelta(minutes=seq))
        link = append(head, payload)
        links.append(link)
        head = link.hash
    return device, links


def check_clearable(device, policy):
    if not device.carries_data:
        return
    assert policy.resale_allowed, "a data-bearing device was cleared although the policy forbids resale"
    assert device.media or device.no_media_confirmed
    for m in device.media:
        assert m.state in ("sanitized", "verified") and m.sanitized_by is not None
        if policy.verification == "all" or m.verification_required:
            assert m.state == "verified" and m.verified_by not in (None, m.sanitized_by)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(devices, policies, st.data())
def test_random_sessions_keep_the_rules_and_a_valid_custody_chain(device, policy, data):
    final, links = run(device, policy, lambda current: random_step(data, current, policy))
    event(f"final state {final.state}")
    assert verify_chain(links).ok
    if final.state == "destroyed":
        assert all(m.state == "destroyed" for m in final.media)


def happy_session(n_media):
    s = [{"action": "receive", "actor": "ann"}]
    for i in range(1, n_media + 1):
        s.append({"action": "sanitize", "actor": "ann", "medium_id": i, "method": "purge",
                  "technique": "crypto_erase"})
    for i in range(1, n_media + 1):
        s.append({"action": "verify", "actor": "bob", "medium_id": i, "passed": True})
    s += [{"action": "grade", "actor": "bob", "grade": "A"}, {"action": "clear", "actor": "cy"}]
    return s


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 3), st.data())
def test_tampering_with_any_event_is_detected_at_its_index(n_media, data):
    device = DeviceFacts(state="registered", media=tuple(MediumFacts(i, "ssd") for i in range(1, n_media + 1)))
    final, links = run(device, Policy(), happy_session(n_media))
    assert final.state == "cleared" and len(links) == 3 + 2 * n_media
    i = data.draw(st.integers(0, len(links) - 1))
    kind = data.draw(st.sampled_from(["edit", "delete", "swap"]))
    tampered = list(links)
    if kind == "edit":
        tampered[i].payload["actor_label"] = "mallory"
        expected = i
    elif kind == "delete":
        del tampered[i]
        expected = i
        if i == len(links) - 1:   # the tail: only the stored head hash can tell
            report = verify_chain(tampered, expected_head=links[-1].hash)
            assert not report.ok and report.first_bad_index == i
            return
    else:
        j = data.draw(st.integers(0, len(links) - 1).filter(lambda j: j != i))
        tampered[i], tampered[j] = tampered[j], tampered[i]
        expected = min(i, j)
    report = verify_chain(tampered)
    assert not report.ok and report.first_bad_index == expected
