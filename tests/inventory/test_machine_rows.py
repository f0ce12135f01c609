"""The resale rows of the transition table, on the pure machine."""

from __future__ import annotations

import pytest

from workflows.machine import (
    SETTLED_STATES, TERMINAL_STATES, DeviceFacts, TransitionRefused, allowed_transitions, apply,
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


def test_sold_is_final_and_units_in_stock_do_not_hold_a_batch_open():
    assert "sold" in TERMINAL_STATES and "cleared" not in TERMINAL_STATES
    assert {"cleared", "in_inventory", "sold"} <= SETTLED_STATES and "quarantined" not in SETTLED_STATES
