"""Phones and tablets: the locks that keep a unit from being resold, and the IMEI that names it.

A phone or tablet is cleared for resale only when each lock below is recorded `clear`: a unit still tied to its
owner's account (Activation Lock / Find My, Google's Factory Reset Protection), enrolled in a company's device
management, locked to a carrier, or on a lost/stolen/unpaid blacklist cannot be sold as it is. `unknown` (not
checked, or the check could not tell) holds the unit as surely as `locked`: an unknown stays unknown.
"""

from __future__ import annotations

LOCK_KINDS = ("activation_lock", "frp", "mdm", "carrier", "blacklist")
LOCK_NAMES = {"activation_lock": "Activation Lock / Find My", "frp": "Google Factory Reset Protection",
              "mdm": "MDM enrolment", "carrier": "carrier lock", "blacklist": "blacklist (lost, stolen, unpaid)"}
LOCK_STATUSES = ("clear", "locked", "unknown")
MOBILE_CATEGORIES = frozenset({"phone", "smartphone", "mobile", "tablet"})


def needs_lock_checks(category: str | None) -> bool:
    return (category or "").strip().lower() in MOBILE_CATEGORIES


def open_locks(category: str | None, locks: dict | None) -> tuple[str, ...]:
    """The lock kinds a phone or tablet is not recorded clear of (all of them before any check); () for others."""
    if not needs_lock_checks(category):
        return ()
    recorded = locks or {}
    return tuple(k for k in LOCK_KINDS if (recorded.get(k) or {}).get("status") != "clear")


def any_locked(locks: dict | None) -> bool:
    return any((locks or {}).get(k, {}).get("status") == "locked" for k in LOCK_KINDS)


def imei_problem(value: str) -> str | None:
    """Why `value` is not an IMEI (15 digits, the last the Luhn check digit; 14 without it; 16 for an IMEISV) nor an
    MEID (14 hexadecimal digits, 15 with a check digit, or 18 decimal digits), or None. Checked by python-stdnum;
    spaces and dashes between digit groups are allowed."""
    from stdnum import imei, meid
    from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError

    if not value.strip():
        return None
    digits = imei.compact(value)
    try:
        imei.validate(value)
        return None
    except InvalidChecksum:
        return f"{value} fails the IMEI check digit (Luhn)."
    except InvalidLength:
        if digits.isdigit():
            return (f"{value} has {len(digits)} digits; an IMEI has 15 (14 without its check digit)."
                    if len(digits) != 18 else None)         # 18 decimal digits: an MEID
    except ValidationError:
        pass
    try:
        meid.validate(value)
        return None
    except InvalidChecksum:
        return f"{value} fails the MEID check digit."
    except ValidationError:
        return f"{value} is neither an IMEI (15 digits) nor an MEID (14 hexadecimal digits)."
