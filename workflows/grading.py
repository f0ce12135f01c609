"""Grading schemes as data: per category, what each cosmetic grade means, the functional checks a technician
records, and the rules that derive the sellable grade from them, best grade first. A grade that differs from the
one the checks give is an override, and needs its reason (itad.steps.grading).

A scheme is a plain dict (stored as JSON, edited by an admin):

    {"cosmetic": {"A": "what A looks like", ...},
     "checks": [{"key": "display", "label": "Display"}, {"key": "battery_health", "label": "Battery health %",
                 "kind": "number"}, ...],
     "rules": [{"grade": "A", "cosmetic": ["A"], "all_pass": true, "min": {"battery_health": 85}}, ...,
               {"grade": "D"}]}

With "required": true, a unit of the category is graded from its checks only: a grade given alone is refused.
The phone and tablet default requires them (marketplaces take tested phones only); the laptop default does not
yet, so a bench can move to the checklist before an admin makes it compulsory.

A check is pass/fail unless its kind is "number". A rule holds when the cosmetic grade is one it names (any if it
names none), every pass/fail check passed (all_pass), and each number is at least its `min` and at most its
`max`. The first rule that holds gives the grade; the last rule should hold always (a floor grade).
"""

from __future__ import annotations

from typing import Any

_PHONE_CHECKS = [("powers_on", "Powers on"), ("display", "Display"), ("touch", "Touch"), ("cameras", "Cameras"),
                 ("speakers_microphone", "Speakers and microphone"), ("buttons", "Buttons"),
                 ("charging_port", "Charging port"), ("wifi_cellular", "Wi-Fi and cellular"),
                 ("biometrics", "Face ID / Touch ID")]
_LAPTOP_CHECKS = [("boots", "Boots"), ("keyboard", "Keyboard"), ("trackpad", "Trackpad"), ("display", "Display"),
                  ("ports", "Ports")]
_COSMETIC = {"A": "no visible wear at arm's length", "B": "light scratches or scuffs, no cracks or dents",
             "C": "visible scratches or small dents, nothing cracked", "D": "cracked, dented or heavily worn"}

# The schemes used where an admin has set none: the example rules (A: every check passed, battery >= 85%).
DEFAULT_SCHEMES: dict[str, dict[str, Any]] = {
    "phone": {
        "required": True,
        "cosmetic": _COSMETIC,
        "checks": [{"key": k, "label": label} for k, label in _PHONE_CHECKS]
        + [{"key": "battery_health", "label": "Battery health %", "kind": "number"}],
        "rules": [{"grade": "A", "cosmetic": ["A"], "all_pass": True, "min": {"battery_health": 85}},
                  {"grade": "B", "cosmetic": ["A", "B"], "all_pass": True, "min": {"battery_health": 80}},
                  {"grade": "C", "cosmetic": ["A", "B", "C"], "all_pass": True},
                  {"grade": "D"}],
    },
    "laptop": {
        "cosmetic": _COSMETIC,
        "checks": [{"key": k, "label": label} for k, label in _LAPTOP_CHECKS]
        + [{"key": "battery_cycles", "label": "Battery cycle count", "kind": "number"},
           {"key": "battery_health", "label": "Battery health %", "kind": "number"}],
        "rules": [{"grade": "A", "cosmetic": ["A"], "all_pass": True, "min": {"battery_health": 80},
                   "max": {"battery_cycles": 500}},
                  {"grade": "B", "cosmetic": ["A", "B"], "all_pass": True, "min": {"battery_health": 70}},
                  {"grade": "C", "cosmetic": ["A", "B", "C"], "all_pass": True},
                  {"grade": "D"}],
    },
}
DEFAULT_SCHEMES["smartphone"] = DEFAULT_SCHEMES["tablet"] = DEFAULT_SCHEMES["phone"]
DEFAULT_SCHEMES["notebook"] = DEFAULT_SCHEMES["laptop"]


class SchemeError(ValueError):
    """A scheme that cannot be applied, or results that do not fit it; the message says what to fix."""


def check_scheme(scheme: Any) -> dict:
    if not isinstance(scheme, dict) or not isinstance(scheme.get("checks"), list) \
            or not isinstance(scheme.get("rules"), list) or not scheme["rules"]:
        raise SchemeError("A scheme has a list of checks and a list of rules (best grade first).")
    if not isinstance(scheme.get("required", False), bool):
        raise SchemeError("required is true (grade from the checks only) or false.")
    keys = set()
    for check in scheme["checks"]:
        if not isinstance(check, dict) or not str(check.get("key", "")).strip():
            raise SchemeError("Each check has a key (and a label).")
        if check.get("kind", "pass") not in ("pass", "number"):
            raise SchemeError(f"Check {check['key']}: its kind is pass or number.")
        keys.add(check["key"])
    for rule in scheme["rules"]:
        if not isinstance(rule, dict) or not str(rule.get("grade", "")).strip():
            raise SchemeError("Each rule names the grade it gives.")
        for bound in ("min", "max"):
            unknown = set(rule.get(bound) or {}) - keys
            if unknown:
                raise SchemeError(f"Rule {rule['grade']}: {bound} names no check: {', '.join(sorted(unknown))}.")
    return scheme


def required(scheme: dict | None) -> bool:
    """Whether a unit of the scheme's category must be graded from its checks."""
    return bool(scheme and scheme.get("required"))


def derive(scheme: dict, cosmetic: str | None, results: dict[str, Any]) -> tuple[str, list[str]]:
    """(the grade the first holding rule gives, why each better grade was missed)."""
    missing = [c["key"] for c in scheme["checks"] if results.get(c["key"]) is None]
    if missing:
        raise SchemeError("Record every check of the scheme; missing: " + ", ".join(missing) + ".")
    if scheme.get("cosmetic") and cosmetic not in scheme["cosmetic"]:
        raise SchemeError(f"Give the cosmetic grade: one of {', '.join(scheme['cosmetic'])}.")
    failed = [c["key"] for c in scheme["checks"] if c.get("kind", "pass") == "pass" and results[c["key"]] is not True]
    missed: list[str] = []
    for rule in scheme["rules"]:
        why = []
        if rule.get("cosmetic") and cosmetic not in rule["cosmetic"]:
            why.append(f"cosmetic {'/'.join(rule['cosmetic'])} (was {cosmetic})")
        if rule.get("all_pass") and failed:
            why.append("every check passed (failed: " + ", ".join(failed) + ")")
        for key, floor in (rule.get("min") or {}).items():
            if float(results[key]) < float(floor):
                why.append(f"{key} at least {floor} (was {_shown(results[key])})")
        for key, ceiling in (rule.get("max") or {}).items():
            if float(results[key]) > float(ceiling):
                why.append(f"{key} at most {ceiling} (was {_shown(results[key])})")
        if not why:
            return str(rule["grade"]), missed
        missed.append(f"{rule['grade']} needs " + "; ".join(why))
    raise SchemeError("No rule of the scheme holds; its last rule should give a floor grade.")


def _shown(value: Any) -> Any:
    """83.0 as 83: a reading sent as JSON may arrive as a float."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
