"""Plain words for the codes the workflow stores, for people reading a page or a spreadsheet.

The codes stay the API's and the database's; a page shows these. A code with no entry shows with its
underscores as spaces, so a new state is readable before it is worded here.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Mapping

from workflows.mobile import LOCK_NAMES

WORDS: dict[str, dict[str, str]] = {
    "state": {
        "registered": "expected, not yet received",
        "unexpected": "not on the asset list",
        "matched": "matched to its asset-list line",
        "received": "received",
        "sanitized": "wiped, awaiting verification",
        "verified": "wipe verified",
        "graded": "graded",
        "cleared": "cleared for resale",
        "in_inventory": "in resale stock",
        "sold": "sold",
        "returned": "returned by its buyer, to re-test",
        "quarantined": "held back from sale",
        "destroyed": "destroyed",
        "missing": "missing (never received)",
    },
    "medium": {
        "pending": "not wiped yet",
        "sanitized": "wiped",
        "failed": "wipe failed",
        "verified": "wipe verified",
        "destroyed": "destroyed",
    },
    "result": {
        "erased": "erased",
        "erased_with_warning": "erased, with a warning",
        "failed": "failed",
        "incomplete": "not finished",
        "passed": "passed",
    },
    "technique": {
        "overwrite": "Overwrite",
        "secure_erase": "ATA Secure Erase",
        "firmware_sanitize": "Sanitize command (drive firmware)",
        "block_erase": "Block erase",
        "crypto_erase": "Cryptographic erase",
        "factory_reset": "Factory reset",
        "degauss": "Degauss",
        "shred": "Shred",
        "disintegrate": "Disintegrate",
        "pulverize": "Pulverize",
        "incinerate": "Incinerate",
        "melt": "Melt",
    },
    # On a phone or tablet (NIST SP 800-88 Rev. 1, mobile devices): a factory reset is a cryptographic erase,
    # Purge, only where the device encrypts its storage by default; the bench says which it was.
    "technique_mobile": {
        "crypto_erase": "Factory reset, device encrypts by default (cryptographic erase)",
        "factory_reset": "Factory reset, device not encrypted by default",
    },
    "method": {"clear": "Clear", "purge": "Purge", "destroy": "Destroy"},
    "media_type": {
        "hdd": "hard disk (HDD)",
        "ssd": "SSD",
        "nvme": "NVMe SSD",
        "flash": "flash memory",
        "mobile": "phone or tablet storage",
        "unknown": "type not known",
    },
    "hidden_areas": {
        "none": "none found",
        "removed": "found and removed",
        "present": "present, not removed",
        "unknown": "not known",
        "not_applicable": "not applicable",
    },
    "certificate": {
        "issued": "in force",
        "superseded": "replaced by a newer certificate",
        "revoked": "revoked",
    },
    "stock": {
        "available": "for sale",
        "reserved": "reserved for a buyer",
        "sold": "sold",
        "withdrawn": "withdrawn from sale",
        "returned": "sold, then returned",
    },
    "batch": {"open": "open", "closed": "closed"},
    "role": {"client": "a client user", "technician": "a technician", "admin": "an admin"},
    "event": {
        "batch_registered": "batch registered",
        "received_in_full": "batch received in full",
        "discrepancy_found": "discrepancy found",
        "certificate_issued": "certificate issued",
        "certificate_revoked": "certificate revoked",
        "locked_device": "locked device needs you",
        "settlement_ready": "settlement final",
        "unit_returned": "unit returned by its buyer",
        "pickup_scheduled": "pickup scheduled",
        "seal_exception": "a seal arrived broken or changed",
    },
    "pickup": {"requested": "requested", "scheduled": "scheduled", "picked_up": "picked up",
               "in_transit": "in transit", "arrived": "arrived at our dock", "reconciled": "reconciled",
               "cancelled": "cancelled"},
    "seal": {"intact": "intact", "broken": "broken", "mismatched": "another seal number"},
    "lock": dict(LOCK_NAMES),
    # Why a buyer sent a unit back (itad.inventory.returns.REASONS holds the same, for the forms).
    "return_reason": {
        "defective": "defective: a function failed",
        "not_as_described": "not as described",
        "cosmetic": "cosmetic condition worse than its grade",
        "battery": "battery below what was promised",
        "locked": "locked to an account, MDM or carrier",
        "damaged_in_transit": "damaged in transit",
        "changed_mind": "the buyer changed their mind",
        "other": "another reason (say what)",
    },
    "lock_status": {"clear": "clear", "locked": "locked", "unknown": "not known"},
    "delivery": {"pending": "waiting to be sent", "sent": "sent", "failed": "failed"},
    "quote_basis": {"model": "on the model's own sales", "family": "on its family's sales",
                    "category": "on its category's sales", "none": "with nothing to go on"},
    "quote_basis_short": {"model": "the model", "family": "its family", "category": "its category", "none": "—"},
    # How settlement shares are rounded (itad.inventory.money.ROUNDING_RULE, as statements state it).
    "rounding": {"ROUND_HALF_UP to 0.01, once per total": "to the cent, a half cent up, once on each total"},
    # The bench's queues, by the state their devices wait in.
    "queue": {
        "registered": "Expected to arrive",
        "unexpected": "To reconcile",
        "received": "To wipe",
        "sanitized": "To verify",
        "verified": "To grade",
        "graded": "To clear",
        "returned": "Returned, to re-test",
    },
    "action": {
        "batch_registered": "Batch registered",
        "receive": "Received",
        "found_unexpected": "Found at receiving, not on the asset list",
        "accept": "Accepted as an extra unit",
        "match": "Matched to its asset-list line",
        "mark_missing": "Recorded missing (never received)",
        "describe_medium": "Drive facts recorded",
        "sanitize": "Wipe",
        "verify": "Verification",
        "skip_verification": "Verification not sampled",
        "grade": "Graded",
        "clear": "Cleared for resale",
        "destroy": "Destroyed",
        "list": "Listed for sale",
        "sell": "Sold",
        "withdraw": "Withdrawn from sale",
        "return": "Returned by its buyer",
        "regrade": "Re-graded after a return",
        "close_batch": "Batch closed",
        "certificate_issued": "Certificate issued",
        "certificate_reissued": "Certificate reissued",
        "certificate_revoked": "Certificate revoked",
        "import_erasure_report": "Erasure report imported",
        "match_erasure_review": "Reported drive matched",
        "dismiss_erasure_review": "Reported drive dismissed",
        "state_data_handling": "Data handling stated",
        "identity_confirmed": "Identity confirmed over the network",
        "identity_mismatch": "Identity differs from the network's",
        "record_locks": "Lock checks recorded",
        "client_lock_instruction": "The client answered about a lock",
        "pickup_handoff": "Handed over at the client's site (signed)",
        "pickup_arrived": "Arrived at our dock",
        "seal_checked": "Seal checked at the dock",
        "pickup_reconciled": "Pickup reconciled",
        "lot_declared": "Lot declared at the site",
        "lot_received": "Lot counted at our dock",
        "lot_pieces_accounted": "Loose pieces accounted for",
        "lot_processed": "Lot processed into the outbound streams",
        "shipped_downstream": "Shipped downstream",
    },
}


def word(code: Any, kind: str, *fallbacks: str) -> str:
    """The plain word for `code` of `kind` (a key of WORDS), else of each fallback kind in turn; an unknown code
    with spaces for underscores."""
    if code is None or code == "":
        return "—"
    for k in (kind, *fallbacks):
        found = WORDS.get(k, {}).get(str(code))
        if found:
            return found
    return str(code).replace("_", " ")


def when(value: Any) -> str:
    """A moment as people read it, in UTC: "7 Dec 2026, 14:05 UTC". Takes a datetime or an ISO 8601
    text (the API's form); a date-time without a zone is taken as UTC, as the server writes them."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return f"{value.day} {value:%b %Y, %H:%M} UTC"


def event_line(action: str, evidence: Mapping | None, drive_names: Mapping[int, str]) -> str:
    """What a custody event did, in one line that names the drive and the result where it has them
    (`drive_names`: {medium id: the drive's serial or '#id'})."""
    ev = evidence or {}
    text = word(action, "action")
    drive = drive_names.get(ev.get("medium_id")) if ev.get("medium_id") is not None else None
    if action == "sanitize":
        how = " by ".join(p for p in (word(ev.get("method"), "method") if ev.get("method") else None,
                                      word(ev.get("technique"), "technique") if ev.get("technique") else None) if p)
        text = f"Wipe of drive {drive}" if drive else text
        if how:
            text += f": {how}"
        if ev.get("result"):
            text += f", {word(ev['result'], 'result')}"
        if ev.get("decision") == "downgraded" and ev.get("claimed_method"):
            text += f" (claimed {word(ev['claimed_method'], 'method')})"
    elif action == "verify":
        text = f"Verification of drive {drive}" if drive else text
        if "passed" in ev:
            text += ": passed" if ev["passed"] else ": failed"
    elif action == "grade" and ev.get("grade"):
        text += f" {ev['grade']}"
    elif action == "regrade" and ev.get("grade"):
        text += f": {ev['grade']}"
        if ev.get("buyer_data_erased"):
            text += f"; the buyer's data erased ({word(ev['buyer_data_erased'], 'technique')})"
    elif action == "return" and ev.get("reason"):
        text += f": {word(ev['reason'], 'return_reason')}" + (f" ({ev['details']})" if ev.get("details") else "")
    elif action == "seal_checked" and ev.get("result"):
        text += f": {ev.get('seal')} {word(ev['result'], 'seal')}"
    elif action == "shipped_downstream" and ev.get("weight_kg"):
        text += f": {ev['weight_kg']} kg of {ev.get('stream')} to {ev.get('vendor')} ({ev.get('purpose')})"
    elif action == "destroy" and ev.get("technique"):
        text += f" ({word(ev['technique'], 'technique')})"
    elif action in ("sell", "withdraw") and (ev.get("reason") or ev.get("price")):
        text += f": {ev.get('reason') or ev.get('price')}"
    elif action.startswith("certificate_") and ev.get("number"):
        text += f" {ev['number']}"
        if ev.get("reason"):
            text += f": {ev['reason']}"
    elif action == "record_locks" and ev.get("checks"):
        text += ": " + ", ".join(f"{word(k, 'lock')} {word(c.get('status'), 'lock_status')}"
                                 for k, c in ev["checks"].items())
    elif action == "client_lock_instruction" and ev.get("action"):
        text += ": " + ("the lock is released, check it again" if ev["action"] == "recheck" else "destroy the unit")
    elif action == "describe_medium" and drive:
        text = f"Facts of drive {drive} recorded"
    return text


def failed_event(action: str, evidence: Mapping | None) -> bool:
    """An event that records a failure (shown as one)."""
    ev = evidence or {}
    return (action == "sanitize" and ev.get("result") == "failed") or (action == "verify" and ev.get("passed") is False)


def register(bp) -> None:
    bp.add_app_template_filter(word, "word")
    bp.add_app_template_filter(when, "when")
    bp.add_app_template_global(event_line, "event_line")
    bp.add_app_template_global(failed_event, "failed_event")
