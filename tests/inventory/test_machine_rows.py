"""The resale rows of the transition table, on the pure machine."""

from __future__ import annotations

from dataclasses import replace

import pytest

from workflows.machine import (
    SETTLED_STATES, TERMINAL_STATES, DeviceFacts, MediumFacts, TransitionRefused, allowed_transitions, apply,
)
from workflows.policy import Policy

POLICY = Policy()
MONITOR = dict(data_bearing=False)


def test_a_listed_unit_may_be_sold_or_withdrawn_and_nothing_else():
    assert allowed_transitions(DeviceFacts("in_inventory", **MONITOR), POLICY, "ann") == ["sell", "withdraw"]


def test_selling_needs_a_price_and_records_it_in_the_evidence():
    with pytest.raises(TransitionRefused, match="price"):
        apply(DeviceFacts("in_inventory", **MONITOR), "sell", "ann", POLICY)
    out = apply(DeviceFacts("in_inventory", **MONITOR), "sell", "ann", POLICY, price="120.00")
    assert out.to_state == "sold" and out.evidence["price"] == "120.00"


def test_a_quarantined_unit_can_be_neither_listed_nor_sold_but_can_be_destroyed():
    q = DeviceFacts("quarantined", **MONITOR)
    for action in ("list", "sell"):
        with pytest.raises(TransitionRefused) as exc:
            apply(q, action, "ann", POLICY, price="1.00")
        assert exc.value.state == "quarantined"
    assert allowed_transitions(q, POLICY, "ann") == ["destroy"]


def test_withdrawing_needs_a_reason():
    with pytest.raises(TransitionRefused, match="why"):
        apply(DeviceFacts("cleared", **MONITOR), "withdraw", "ann", POLICY, reason="  ")
    out = apply(DeviceFacts("cleared", **MONITOR), "withdraw", "ann", POLICY, reason="certificate revoked")
    assert out.to_state == "quarantined" and out.evidence["reason"] == "certificate revoked"


def test_listing_re_checks_the_clients_resale_policy():
    with pytest.raises(TransitionRefused, match="forbids resale"):
        apply(DeviceFacts("cleared"), "list", "ann", Policy(resale_allowed=False))


def test_sold_and_units_in_stock_do_not_hold_a_batch_open_but_a_return_does():
    assert "sold" not in TERMINAL_STATES and "cleared" not in TERMINAL_STATES
    assert {"cleared", "in_inventory", "sold"} <= SETTLED_STATES
    assert "quarantined" not in SETTLED_STATES and "returned" not in SETTLED_STATES


# A laptop whose one drive was wiped and verified before it was sold.
SOLD = DeviceFacts("sold", grade="B", media=(MediumFacts(1, "ssd", "verified", "purge", "crypto_erase", "erased",
                                                         "ann", "bob"),))
WARRANTED = {"reason": "defective", "returned_on": "2026-12-01", "warranty_until": "2027-05-31"}


def test_a_sold_unit_comes_back_within_its_warranty_with_the_reason():
    out = apply(SOLD, "return", "ann", Policy(), **WARRANTED)
    assert out.to_state == "returned"
    assert out.evidence == {"reason": "defective", "returned_on": "2026-12-01", "warranty_until": "2027-05-31"}


@pytest.mark.parametrize("facts, says", [
    ({**WARRANTED, "returned_on": "2027-06-01"}, "warranty ended on 2027-05-31"),
    ({**WARRANTED, "warranty_until": None}, "without a warranty"),
    ({**WARRANTED, "reason": " "}, "why the buyer returned"),
    ({**WARRANTED, "returned_on": ""}, "day the unit came back"),
])
def test_a_return_outside_the_warranty_or_without_a_reason_is_refused(facts, says):
    with pytest.raises(TransitionRefused, match=says):
        apply(SOLD, "return", "ann", Policy(), **facts)


def test_the_last_day_of_the_warranty_still_counts():
    assert apply(SOLD, "return", "ann", Policy(), **{**WARRANTED, "returned_on": "2027-05-31"}).to_state == "returned"


def test_a_returned_unit_is_regraded_then_cleared_again_and_can_be_destroyed():
    back = apply(SOLD, "return", "ann", Policy(), **WARRANTED).device
    assert set(allowed_transitions(back, Policy(), "bob")) == {"regrade", "destroy"}
    regraded = apply(back, "regrade", "bob", Policy(), grade="C", buyer_data_erased="Overwrite")
    assert regraded.to_state == "graded" and regraded.device.grade == "C"
    assert regraded.evidence == {"grade": "C", "buyer_data_erased": "overwrite"}
    assert apply(regraded.device, "clear", "bob", Policy()).to_state == "cleared"
    assert apply(back, "destroy", "bob", Policy(), technique="shred").to_state == "destroyed"


@pytest.mark.parametrize("media, erased, says, offered", [
    ((), None, "it may hold the buyer's data", "overwrite, block_erase, crypto_erase, degauss, factory_reset, "
                                               "firmware_sanitize, secure_erase"),
    ((MediumFacts(1, "hdd", "verified"),), "factory_reset", "'factory_reset' does not erase this unit's drives",
     "overwrite, crypto_erase, degauss, firmware_sanitize, secure_erase"),
    ((MediumFacts(1, "ssd", "verified"), MediumFacts(2, "hdd", "verified")), "degauss", "'degauss' does not erase",
     "overwrite, crypto_erase, firmware_sanitize, secure_erase"),
])
def test_a_data_bearing_return_is_regraded_only_once_the_buyers_data_is_erased_by_what_works_on_its_drives(
        media, erased, says, offered):
    back = replace(apply(SOLD, "return", "ann", Policy(), **WARRANTED).device, media=media)
    with pytest.raises(TransitionRefused, match=says) as exc:
        apply(back, "regrade", "bob", Policy(), grade="B", buyer_data_erased=erased)
    assert exc.value.reason.endswith(f"(say how it was erased: {offered})")
    assert apply(back, "regrade", "bob", Policy(), grade="B", buyer_data_erased="crypto_erase").to_state == "graded"


def test_a_return_that_holds_no_data_is_regraded_without_an_erasure():
    monitor = replace(SOLD, data_bearing=False, media=())
    back = apply(monitor, "return", "ann", Policy(), **WARRANTED).device
    out = apply(back, "regrade", "bob", Policy(), grade="A")
    assert out.to_state == "graded" and "buyer_data_erased" not in out.evidence


def test_only_a_sold_unit_can_be_returned_and_a_bench_grade_never_needs_a_regrade():
    with pytest.raises(TransitionRefused, match="only a sold unit"):
        apply(DeviceFacts("in_inventory"), "return", "ann", Policy(), **WARRANTED)
    with pytest.raises(TransitionRefused) as exc:
        apply(DeviceFacts("received", data_bearing=False), "clear", "ann", Policy())
    assert "regrade" not in exc.value.needs and "grade" in exc.value.needs
