"""Does a wipe record hold up? Method fitness after NIST SP 800-88 Rev. 1 (Appendix A) and IEEE 2883.

A technician (or an erasure tool) *claims* a method (Clear, Purge, Destroy) and reports the technique
used. What the record is worth depends on the medium: an overwrite reaches every cell of a magnetic
platter the host can address, but an SSD remaps blocks behind the host's back, so the same overwrite
only Clears it; degaussing wipes platters and does nothing to flash. `assess` turns a claim into the
method an auditor would accept, and says why when it had to lower or refuse the claim.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field


class Method(str, enum.Enum):
    """NIST SP 800-88 sanitization methods, weakest first."""

    clear = "clear"
    purge = "purge"
    destroy = "destroy"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: "Method") -> bool:
        return self.rank >= Method(other).rank


_RANK = {Method.clear: 1, Method.purge: 2, Method.destroy: 3}

MEDIA_TYPES = ("hdd", "ssd", "nvme", "flash", "mobile", "unknown")
FLASH_MEDIA = frozenset({"ssd", "nvme", "flash", "mobile"})

# Physical destruction: NIST's Destroy techniques; valid whatever the medium.
DESTROY_TECHNIQUES = frozenset({"shred", "disintegrate", "pulverize", "incinerate", "melt"})

# Techniques whose coverage depends on the host seeing the whole LBA range: hidden areas (HPA/DCO)
# left in place mean some sectors were never written.
HOST_ADDRESSED_TECHNIQUES = frozenset({"overwrite"})

# Strongest method each logical technique can reach on each medium type (None: does not work there).
# "unknown" media get the benefit of no doubt: purge techniques only count as Clear, because we
# cannot tell whether the command reached every cell.
_CAPABILITY: dict[str, dict[str, Method | None]] = {
    # Rev. 1 Table A: overwrite is the Clear technique for HDD and for flash; never Purge.
    "overwrite": {"hdd": Method.clear, "ssd": Method.clear, "nvme": Method.clear,
                  "flash": Method.clear, "mobile": Method.clear, "unknown": Method.clear},
    # ATA SECURITY ERASE UNIT: Purge for magnetic ATA drives; on SSDs its coverage is
    # implementation-defined, so Rev. 1 only credits it as Clear.
    "secure_erase": {"hdd": Method.purge, "ssd": Method.clear, "nvme": None,
                     "flash": Method.clear, "mobile": None, "unknown": Method.clear},
    # ATA/SCSI/NVMe SANITIZE command (overwrite, block erase or crypto scramble inside the drive).
    "firmware_sanitize": {"hdd": Method.purge, "ssd": Method.purge, "nvme": Method.purge,
                          "flash": Method.purge, "mobile": None, "unknown": Method.clear},
    # Block erase is a flash operation; a platter has no erase blocks.
    "block_erase": {"hdd": None, "ssd": Method.purge, "nvme": Method.purge,
                    "flash": Method.purge, "mobile": Method.purge, "unknown": Method.clear},
    # Cryptographic erase: Purge where the media encryption key is what is destroyed.
    "crypto_erase": {"hdd": Method.purge, "ssd": Method.purge, "nvme": Method.purge,
                     "flash": Method.purge, "mobile": Method.purge, "unknown": Method.clear},
    # A phone's factory reset: Clear unless the record says crypto_erase (encrypted device reset).
    "factory_reset": {"hdd": None, "ssd": None, "nvme": None,
                      "flash": None, "mobile": Method.clear, "unknown": None},
    # Degaussing: Purge for magnetic media; no effect at all on flash memory.
    "degauss": {"hdd": Method.purge, "ssd": None, "nvme": None,
                "flash": None, "mobile": None, "unknown": None},
}

# Names tools and people use for the same technique.
TECHNIQUE_ALIASES = {
    "sanitize": "firmware_sanitize", "ata_sanitize": "firmware_sanitize",
    "nvme_sanitize": "firmware_sanitize", "sanitize_command": "firmware_sanitize",
    "cryptographic_erase": "crypto_erase", "crypto_scramble": "crypto_erase",
    "ata_secure_erase": "secure_erase", "security_erase_unit": "secure_erase",
    "nvme_format": "crypto_erase",
    "shredding": "shred", "disintegration": "disintegrate", "pulverization": "pulverize",
    "incineration": "incinerate", "melting": "melt", "degaussing": "degauss",
}

TECHNIQUES = frozenset(_CAPABILITY) | DESTROY_TECHNIQUES
WIPE_TECHNIQUES = tuple(sorted(TECHNIQUES - DESTROY_TECHNIQUES))

# Tool outcome words, normalised to ours.
_FAILED_RESULTS = frozenset({"failed", "fail", "error", "cancelled", "canceled", "aborted", "insanity"})
HIDDEN_AREA_STATES = ("none", "removed", "present", "unknown", "not_applicable")


class Result(str, enum.Enum):
    erased = "erased"
    erased_with_warning = "erased_with_warning"
    failed = "failed"


@dataclass(frozen=True)
class Assessment:
    """The verdict on one wipe record.

    decision: "accepted" (claim stands), "downgraded" (accepted at `effective_method`, lower than
    claimed) or "refused" (the record cannot be accepted; `effective_method` may be None).
    result: what happened to the data: erased, erased_with_warning (not a clean pass) or failed.
    """

    media_type: str
    technique: str
    claimed_method: Method
    effective_method: Method | None
    decision: str
    result: Result
    reasons: tuple[str, ...] = field(default_factory=tuple)
    meets_policy: bool = True

    @property
    def accepted(self) -> bool:
        return self.decision != "refused"

    @property
    def passed(self) -> bool:
        """A clean, acceptable wipe: the only kind that makes a medium `sanitized`."""
        return self.accepted and self.result is Result.erased


def normalise_technique(technique: str) -> str:
    key = (technique or "").strip().lower().replace("-", "_").replace(" ", "_")
    return TECHNIQUE_ALIASES.get(key, key)


def capability(technique: str, media_type: str) -> Method | None:
    """The strongest method `technique` can achieve on `media_type` (None: it does not work there)."""
    tech = normalise_technique(technique)
    media = media_type if media_type in MEDIA_TYPES else "unknown"
    if tech in DESTROY_TECHNIQUES:
        return Method.destroy
    return _CAPABILITY.get(tech, {}).get(media)


def wipe_techniques_for(media_types) -> list[str]:
    """The wipe techniques that work on every one of these drive types (all of them for none), the usual one
    (overwrite) first."""
    types = list(media_types)
    usable = [t for t in WIPE_TECHNIQUES if all(capability(t, m) is not None for m in types)]
    return sorted(usable, key=lambda t: t != "overwrite")


def assess(
    media_type: str,
    claimed_method: str | Method,
    technique: str,
    *,
    tool_result: str = "erased",
    hidden_areas: str | None = None,
    verified_by_tool: bool | None = None,
    minimum: str | Method | None = None,
) -> Assessment:
    """Judge a wipe record: what method it is worth on this medium, and whether it passed.

    hidden_areas: HPA/DCO status as the tool saw it after the wipe: "none", "removed",
    "present" (left in place), "unknown" (tool could not tell), "not_applicable", or None (not
    reported). Only matters for host-addressed techniques (overwrite).
    minimum: the policy's lowest acceptable method; an effective method below it is refused.

    The verdict depends on the arguments alone and an Assessment cannot change, so verdicts are
    cached: a station's export repeats the same few combinations thousands of times. typed=True keeps
    0 apart from False (the verdict tests `verified_by_tool is False`). Arguments that cannot be
    hashed (a list where text was expected) are judged uncached, and refused the same way.
    """
    args = (media_type, claimed_method, technique, tool_result, hidden_areas, verified_by_tool, minimum)
    try:
        hash(args)
    except TypeError:
        return _judge(*args)
    return _judge_cached(*args)


def _judge(media_type, claimed_method, technique, tool_result, hidden_areas, verified_by_tool,
           minimum) -> Assessment:
    media = (media_type or "unknown").strip().lower()
    reasons: list[str] = []
    if media not in MEDIA_TYPES:
        reasons.append(f"medium type {media_type!r} is not one of {', '.join(MEDIA_TYPES)}; treated as unknown")
        media = "unknown"
    tech = normalise_technique(technique)
    try:
        claimed = Method(str(claimed_method.value if isinstance(claimed_method, Method) else claimed_method).strip().lower())
    except ValueError:
        raise ValueError(f"method must be one of clear, purge, destroy, not {claimed_method!r}") from None

    outcome = (tool_result or "").strip().lower().replace(" ", "_")
    if outcome in _FAILED_RESULTS:
        result = Result.failed
        reasons.append(f"tool reported {tool_result!r}: the medium is not sanitized")
    elif outcome == Result.erased_with_warning.value:
        result = Result.erased_with_warning
        reasons.append("tool reported the wipe with a warning")
    elif outcome in ("erased", "passed", "success", "ok"):
        result = Result.erased
    else:
        result = Result.failed
        reasons.append(f"tool result {tool_result!r} is not recognised: counted as failed")

    if tech not in TECHNIQUES:
        return Assessment(media, tech, claimed, None, "refused", result,
                          tuple(reasons + [f"technique {technique!r} is not recognised "
                                           f"(known: {', '.join(sorted(TECHNIQUES))})"]), False)

    reach = capability(tech, media)
    if reach is None:
        why = {
            "degauss": "degaussing has no effect on flash memory" if media in FLASH_MEDIA
            else "degaussing is only accepted for magnetic disks",
            "block_erase": "block erase is a flash operation; a magnetic disk has no erase blocks",
        }.get(tech, f"{tech} is not a sanitization technique for {media} media")
        return Assessment(media, tech, claimed, None, "refused", result,
                          tuple(reasons + [why]), False)

    if reach.rank < claimed.rank:
        decision, effective = "downgraded", reach
        if tech == "overwrite" and media in FLASH_MEDIA:
            reasons.append(f"an overwrite of {media} media counts at most as Clear (wear levelling and "
                           "spare blocks hide cells from the host); Purge needs block erase, "
                           "cryptographic erase or the drive's sanitize command")
        elif tech == "overwrite":
            reasons.append("an overwrite counts as Clear (NIST SP 800-88 Rev. 1); Purge of a magnetic "
                           "disk needs the drive's sanitize command, cryptographic erase or degaussing")
        elif media == "unknown":
            reasons.append(f"medium type unknown: {tech} cannot be credited above {reach.value.title()}")
        else:
            reasons.append(f"{tech} on {media} media reaches at most {reach.value.title()}")
    else:
        # Never credit more than was claimed: the certificate states the claim.
        decision, effective = "accepted", claimed

    if result is Result.erased and tech in HOST_ADDRESSED_TECHNIQUES:
        if hidden_areas == "present":
            result = Result.erased_with_warning
            reasons.append("hidden areas (HPA/DCO) were left in place: visible sectors erased, hidden "
                           "sectors not; remove them and wipe again")
        elif hidden_areas == "unknown":
            result = Result.erased_with_warning
            reasons.append("HPA/DCO status could not be determined: hidden sectors may not be erased")

    if verified_by_tool is False and result is Result.erased:
        reasons.append("the tool did not verify its own pass")

    meets = True
    if minimum is not None and effective is not None:
        floor = Method(minimum)
        if not effective.at_least(floor):
            meets = False
            decision = "refused"
            reasons.append(f"{effective.value.title()} is below the policy minimum {floor.value.title()}")
    return Assessment(media, tech, claimed, effective, decision, result, tuple(reasons), meets)


_judge_cached = functools.lru_cache(maxsize=1024, typed=True)(_judge)
