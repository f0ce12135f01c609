"""The states a device and each of its storage media pass through.

Devices registered from a client's asset list start `registered`; a unit found at receiving with no
manifest line starts `unexpected`. Which states are final is not listed here: a state is terminal when
the transition table (workflows.machine) has no move out of it, so adding `list`/`sell` rows later
makes `cleared` non-terminal without touching this file.
"""

from __future__ import annotations

import enum


class DeviceState(str, enum.Enum):
    registered = "registered"    # on the client's manifest, not yet in our hands
    unexpected = "unexpected"    # in our hands, on no manifest line: must be reconciled
    matched = "matched"          # an unexpected record reconciled to its manifest line (closed)
    received = "received"        # in our hands; media wait for (re-)sanitization
    sanitized = "sanitized"      # every medium passed a wipe
    verified = "verified"        # every medium that needs it was verified by a second person
    graded = "graded"            # cosmetic/functional grade recorded
    cleared = "cleared"          # released for resale
    in_inventory = "in_inventory"  # listed in resale stock (available or reserved: see itad.inventory)
    sold = "sold"                # sold to a buyer (final unless it comes back under warranty)
    returned = "returned"        # back from its buyer under warranty (an RMA): to be re-tested and re-graded
    # Out of sellable stock because its certificate was revoked or its sanitization reopened; it can
    # be neither listed nor sold again, only destroyed (or taken back to the bench by a reopen).
    quarantined = "quarantined"
    destroyed = "destroyed"      # physically destroyed: final and certified
    missing = "missing"          # batch closed, never received


class MediumState(str, enum.Enum):
    pending = "pending"          # not wiped yet
    sanitized = "sanitized"      # last wipe passed
    failed = "failed"            # last wipe or verification failed: re-wipe or destroy
    verified = "verified"        # a second person confirmed the wipe
    destroyed = "destroyed"      # went with the device to physical destruction


INITIAL_STATE = DeviceState.registered.value
FOUND_AT_RECEIVING_STATE = DeviceState.unexpected.value


def initial_state(on_manifest: bool) -> str:
    """The state a new device row starts in."""
    return INITIAL_STATE if on_manifest else FOUND_AT_RECEIVING_STATE
