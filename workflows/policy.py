"""A client's sanitization policy: what the workflow must enforce for its devices.

Stored as JSON per organization and optionally overridden per batch (`Policy.merged`). Unknown keys
are refused rather than ignored: a typo in "resale_allowed" must not silently allow resale.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from workflows.sanitization import Method

DEFAULT_DATA_BEARING = frozenset({
    "laptop", "notebook", "desktop", "workstation", "all-in-one", "server", "tablet", "phone",
    "mobile", "smartphone", "storage", "hdd", "ssd", "nvme", "flash", "usb", "printer", "mfp",
    "copier", "switch", "router", "firewall", "nas", "san", "thin client", "appliance",
})
DEFAULT_NOT_DATA_BEARING = frozenset({
    "monitor", "display", "keyboard", "mouse", "dock", "docking station", "cable", "charger",
    "power supply", "psu", "adapter", "headset", "speaker", "webcam", "projector", "rack", "ups",
})

VERIFICATION_MODES = ("all", "sample")


class PolicyError(ValueError):
    """A stored or submitted policy that cannot be applied; the message names the field."""


@dataclass(frozen=True)
class Policy:
    """minimum_method: lowest acceptable NIST method for any medium.
    verification: "all" (every medium verified) or "sample" (see workflows.sampling).
    sample_percent: share of Purged/Destroyed media verified under "sample".
    verify_all_cleared: under "sample", every Cleared medium is still verified.
    resale_allowed: False means every data-bearing device must be destroyed; `clear` is refused.
    Categories are compared lower-cased; a category in neither set counts as data-bearing, because
    guessing wrong the other way would let a drive leave unwiped.
    """

    minimum_method: Method = Method.clear
    verification: str = "all"
    sample_percent: int = 10
    verify_all_cleared: bool = True
    resale_allowed: bool = True
    data_bearing_categories: frozenset[str] = DEFAULT_DATA_BEARING
    non_data_bearing_categories: frozenset[str] = DEFAULT_NOT_DATA_BEARING
    max_failed_wipes: int = 3

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "minimum_method", Method(self.minimum_method))
        except ValueError:
            raise PolicyError(f"minimum_method must be clear, purge or destroy, not {self.minimum_method!r}") from None
        if self.verification not in VERIFICATION_MODES:
            raise PolicyError(f"verification must be 'all' or 'sample', not {self.verification!r}")
        if not isinstance(self.sample_percent, int) or isinstance(self.sample_percent, bool) \
                or not 0 <= self.sample_percent <= 100:
            raise PolicyError(f"sample_percent must be a whole number from 0 to 100, not {self.sample_percent!r}")
        if not isinstance(self.max_failed_wipes, int) or isinstance(self.max_failed_wipes, bool) \
                or self.max_failed_wipes < 1:
            raise PolicyError(f"max_failed_wipes must be a whole number of at least 1, not {self.max_failed_wipes!r}")
        for name in ("resale_allowed", "verify_all_cleared"):
            if not isinstance(getattr(self, name), bool):
                raise PolicyError(f"{name} must be true or false, not {getattr(self, name)!r}")
        for name in ("data_bearing_categories", "non_data_bearing_categories"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise PolicyError(f"{name} must be a list of category names, not a single string")
            object.__setattr__(self, name, frozenset(str(c).strip().lower() for c in value))

    def is_data_bearing(self, category: str | None) -> bool:
        key = (category or "").strip().lower()
        if key in self.data_bearing_categories:
            return True
        if key in self.non_data_bearing_categories:
            return False
        return True

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["minimum_method"] = self.minimum_method.value
        for name in ("data_bearing_categories", "non_data_bearing_categories"):
            data[name] = sorted(data[name])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Policy":
        """Defaults for missing keys; PolicyError for unknown keys or bad values."""
        return cls().merged(data)

    def merged(self, overrides: dict[str, Any] | None) -> "Policy":
        """This policy with `overrides` (e.g. a batch's) applied on top; overrides win."""
        if not overrides:
            return self
        if not isinstance(overrides, dict):
            raise PolicyError("a policy must be a JSON object")
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise PolicyError(f"unknown policy field(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return replace(self, **overrides)

    def weakenings(self, other: "Policy") -> list[str]:
        """Where `other` asks less than this policy: lets the API warn (or refuse) when a batch
        override loosens the organization's policy."""
        found = []
        if other.minimum_method.rank < self.minimum_method.rank:
            found.append(f"minimum_method {other.minimum_method.value} is below {self.minimum_method.value}")
        if self.verification == "all" and other.verification == "sample":
            found.append("verification sampled instead of all")
        elif other.verification == "sample" and self.verification == "sample":
            if other.sample_percent < self.sample_percent:
                found.append(f"sample_percent {other.sample_percent} is below {self.sample_percent}")
            if self.verify_all_cleared and not other.verify_all_cleared:
                found.append("cleared media are no longer all verified")
        if other.resale_allowed and not self.resale_allowed:
            found.append("resale allowed where the organization forbids it")
        if other.max_failed_wipes > self.max_failed_wipes:
            found.append(f"max_failed_wipes {other.max_failed_wipes} is above {self.max_failed_wipes}")
        lost = {c for c in self.data_bearing_categories if not other.is_data_bearing(c)}
        if lost:
            found.append(f"categories no longer data-bearing: {', '.join(sorted(lost))}")
        return found


DEFAULT_POLICY = Policy()
