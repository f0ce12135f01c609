import pytest

from workflows.machine import (
    TERMINAL_STATES, TRANSITIONS, DeviceFacts, MediumFacts, TransitionRefused, allowed_transitions, apply,
    batch_close_blockers,
)
from workflows.policy import Policy

POLICY = Policy()


def laptop(state="received", *media):
    return DeviceFacts(state=state, id=1, media=media or (MediumFacts("d1", "ssd"), MediumFacts("d2", "hdd")))


def wiped(device, actor="ann", **extra):
    for m in device.media:
        device = apply(device, "sanitize", actor, POLICY, medium_id=m.id, method="clear",
                       technique="overwrite", **extra).device
    return device


def verified(device, actor="bob"):
    for m in device.media:
        device = apply(device, "verify", actor, POLICY, medium_id=m.id, passed=True).device
    return device


def test_full_happy_path_reaches_cleared():
    d = apply(laptop("registered"), "receive", "ann", POLICY).device
    d = verified(wiped(d))
    d = apply(d, "grade", "bob", POLICY, grade="B").device
    assert apply(d, "clear", "bob", POLICY).to_state == "cleared"


def test_device_is_sanitized_only_when_every_medium_passed():
    d = apply(laptop(), "sanitize", "ann", POLICY, medium_id="d1", method="clear", technique="overwrite").device
    assert d.state == "received" and d.media[0].state == "sanitized"
    d = apply(d, "sanitize", "ann", POLICY, medium_id="d2", method="clear", technique="overwrite").device
    assert d.state == "sanitized"


def test_verify_before_sanitize_is_refused_saying_state_and_what_first():
    with pytest.raises(TransitionRefused) as exc:
        apply(laptop(), "verify", "bob", POLICY, medium_id="d1", passed=True)
    assert str(exc.value) == "Device is received; every data-bearing medium must be sanitized before verify"
    assert exc.value.needs == ("sanitize",)


def test_wiper_cannot_verify_own_wipe():
    d = wiped(laptop())
    with pytest.raises(TransitionRefused, match="four-eyes"):
        apply(d, "verify", "ann", POLICY, medium_id="d1", passed=True)
    assert "verify" not in allowed_transitions(d, POLICY, "ann")
    assert "verify" in allowed_transitions(d, POLICY, "bob")


def test_failed_wipe_marks_medium_failed_and_counts_it():
    out = apply(laptop(), "sanitize", "ann", POLICY, medium_id="d1", method="clear", technique="overwrite",
                result="failed")
    assert out.device.media[0].state == "failed" and out.device.media[0].failed_wipes == 1
    assert out.to_state == "received"


def test_failed_verification_sends_device_back_to_be_rewiped():
    d = wiped(laptop())
    out = apply(d, "verify", "bob", POLICY, medium_id="d2", passed=False)
    assert out.to_state == "received" and out.device.media[1].state == "failed"
    d = apply(out.device, "sanitize", "ann", POLICY, medium_id="d2", method="clear", technique="overwrite").device
    assert d.state == "sanitized"


def test_after_max_failed_wipes_only_destruction_is_accepted():
    d = laptop("received", MediumFacts("d1", "hdd", state="failed", failed_wipes=3))
    with pytest.raises(TransitionRefused, match="failed 3 wipes") as exc:
        apply(d, "sanitize", "ann", POLICY, method="clear", technique="overwrite")
    assert exc.value.needs == ("destroy",)
    assert allowed_transitions(d, POLICY, "ann") == ["destroy"]
    out = apply(d, "sanitize", "ann", POLICY, method="destroy", technique="shred")
    assert out.device.media[0].method == "destroy" and out.to_state == "sanitized"


def test_refused_wipe_record_does_not_count_as_failed_wipe():
    with pytest.raises(TransitionRefused, match="no effect on flash"):
        apply(laptop(), "sanitize", "ann", POLICY, medium_id="d1", method="purge", technique="degauss")


def test_wipe_below_policy_minimum_is_refused():
    with pytest.raises(TransitionRefused, match="below the policy minimum Purge"):
        apply(laptop(), "sanitize", "ann", Policy(minimum_method="purge"), medium_id="d1", method="purge",
              technique="overwrite")


def test_hpa_left_in_place_is_not_a_pass():
    out = apply(laptop(), "sanitize", "ann", POLICY, medium_id="d2", method="clear", technique="overwrite",
                hidden_areas="present")
    assert out.device.media[1].state == "failed" and out.device.media[1].result == "erased_with_warning"


def test_monitor_skips_sanitize_and_goes_to_grade():
    monitor = DeviceFacts(state="received", data_bearing=False)
    assert allowed_transitions(monitor, POLICY, "ann") == ["grade", "destroy"]
    assert apply(monitor, "grade", "ann", POLICY, grade="A").to_state == "graded"


def test_laptop_cannot_skip_to_grade():
    with pytest.raises(TransitionRefused, match="carries data"):
        apply(laptop(), "grade", "ann", POLICY, grade="A")


def test_driveless_laptop_confirmed_at_bench_may_be_graded():
    d = DeviceFacts(state="received", no_media_confirmed=True)
    assert apply(d, "grade", "ann", POLICY, grade="C").to_state == "graded"


def test_grade_needs_a_grade():
    with pytest.raises(TransitionRefused, match="grade is required"):
        apply(verified(wiped(laptop())), "grade", "ann", POLICY, grade=" ")


def test_policy_forbidding_resale_refuses_clear_and_points_to_destroy():
    d = apply(verified(wiped(laptop())), "grade", "bob", POLICY, grade="A").device
    no_resale = Policy(resale_allowed=False)
    with pytest.raises(TransitionRefused) as exc:
        apply(d, "clear", "bob", no_resale)
    assert exc.value.needs == ("destroy",)
    assert allowed_transitions(d, no_resale, "bob") == ["destroy"]


def test_policy_raised_after_wipe_blocks_clear():
    d = apply(verified(wiped(laptop())), "grade", "bob", POLICY, grade="A").device
    with pytest.raises(TransitionRefused, match="below the policy minimum purge"):
        apply(d, "clear", "bob", Policy(minimum_method="purge"))


def test_destroy_is_terminal_and_destroys_every_medium():
    out = apply(laptop(), "destroy", "ann", POLICY, technique="shred")
    assert out.to_state == "destroyed" and {m.state for m in out.device.media} == {"destroyed"}
    with pytest.raises(TransitionRefused, match="final state"):
        apply(out.device, "receive", "ann", POLICY)
    assert allowed_transitions(out.device, POLICY, "ann") == []


def test_destroy_with_non_destruction_technique_is_refused():
    with pytest.raises(TransitionRefused, match="not a destruction technique"):
        apply(laptop(), "destroy", "ann", POLICY, technique="overwrite")


def test_unexpected_device_is_accepted_or_matched():
    u = DeviceFacts(state="unexpected")
    assert apply(u, "accept", "ann", POLICY).to_state == "received"
    assert apply(u, "match", "ann", POLICY, manifest_device_id=42).evidence["manifest_device_id"] == 42
    with pytest.raises(TransitionRefused, match="manifest_device_id"):
        apply(u, "match", "ann", POLICY)


def test_batch_with_unexpected_device_cannot_close():
    assert batch_close_blockers([DeviceFacts(state="unexpected", id=9)]) != []
    assert batch_close_blockers([DeviceFacts(state="registered"), DeviceFacts(state="cleared")]) == []


def test_missing_only_when_batch_closes():
    d = DeviceFacts(state="registered")
    assert "mark_missing" not in allowed_transitions(d, POLICY, "ops")
    assert apply(d, "mark_missing", "ops", POLICY, batch_closing=True).to_state == "missing"


def test_sampling_exempt_device_records_skip_verification():
    p = Policy(verification="sample")
    d = laptop("received", MediumFacts("d1", "ssd", verification_required=False))
    d = apply(d, "sanitize", "ann", p, method="purge", technique="crypto_erase").device
    assert allowed_transitions(d, p, "ann") == ["skip_verification", "destroy"]
    assert apply(d, "skip_verification", "ann", p).to_state == "verified"


def test_all_mode_ignores_a_sampling_exemption():
    d = wiped(laptop("received", MediumFacts("d1", "ssd", verification_required=False)))
    with pytest.raises(TransitionRefused, match="verification is required for medium d1"):
        apply(d, "skip_verification", "ann", POLICY)


def test_unknown_action_and_missing_actor_are_refused():
    with pytest.raises(TransitionRefused, match="not an action"):
        apply(laptop(), "teleport", "ann", POLICY)
    with pytest.raises(TransitionRefused, match="person"):
        apply(laptop("registered"), "receive", None, POLICY)


def test_medium_id_must_name_one_of_the_media():
    with pytest.raises(TransitionRefused, match="d1, d2"):
        apply(laptop(), "sanitize", "ann", POLICY, medium_id="zz", method="clear", technique="overwrite")


def test_terminal_states_are_derived_from_the_table():
    # sold is not final: a unit comes back under its warranty (return -> returned)
    assert TERMINAL_STATES == {"destroyed", "missing", "matched"}
    assert all(t.target for t in TRANSITIONS)


def test_refusal_serialises_for_the_api():
    with pytest.raises(TransitionRefused) as exc:
        apply(laptop("registered"), "clear", "ann", POLICY)
    body = exc.value.to_dict()
    assert body["code"] == "transition_refused" and body["state"] == "registered" and body["needs"] == ["grade"]


def test_missing_actor_is_refused_before_the_state_is_judged():
    with pytest.raises(TransitionRefused, match="person"):
        apply(laptop("destroyed"), "receive", None, POLICY)


def test_apply_reads_the_table_rows_in_their_order():
    """The table is indexed at import; the index must hold exactly its rows, first row first."""
    from workflows.machine import _BY_ACTION, _BY_ACTION_STATE, _BY_STATE
    states = {s for t in TRANSITIONS for s in t.sources}
    for action in {t.name for t in TRANSITIONS}:
        assert _BY_ACTION[action] == tuple(t for t in TRANSITIONS if t.name == action)
        for state in states:
            rows = tuple(t for t in TRANSITIONS if t.name == action and state in t.sources)
            assert _BY_ACTION_STATE.get((action, state), ()) == rows
    for state in states:
        assert _BY_STATE[state] == tuple(t for t in TRANSITIONS if state in t.sources)
