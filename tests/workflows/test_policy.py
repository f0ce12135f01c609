import json

import pytest

from workflows.policy import Policy, PolicyError
from workflows.sanitization import Method


def test_defaults_are_clear_all_resale_three_failed_wipes():
    p = Policy()
    assert (p.minimum_method, p.verification, p.resale_allowed, p.max_failed_wipes) == (Method.clear, "all", True, 3)


def test_round_trip_through_json_keeps_every_field():
    p = Policy(minimum_method="purge", verification="sample", sample_percent=25, resale_allowed=False)
    again = Policy.from_dict(json.loads(json.dumps(p.to_dict())))
    assert again == p


def test_laptop_is_data_bearing_and_monitor_is_not():
    p = Policy()
    assert p.is_data_bearing("Laptop") and not p.is_data_bearing(" monitor ")


def test_unknown_category_counts_as_data_bearing():
    assert Policy().is_data_bearing("quantum widget") and Policy().is_data_bearing(None)


def test_unknown_key_is_refused_with_its_name():
    with pytest.raises(PolicyError, match="resale_alowed"):
        Policy.from_dict({"resale_alowed": True})


@pytest.mark.parametrize("bad", [{"minimum_method": "wipe"}, {"verification": "some"}, {"sample_percent": 101},
                                 {"max_failed_wipes": 0}, {"resale_allowed": "yes"},
                                 {"data_bearing_categories": "laptop"}])
def test_bad_values_are_refused(bad):
    with pytest.raises(PolicyError):
        Policy.from_dict(bad)


def test_batch_override_wins_over_organization_policy():
    org = Policy.from_dict({"minimum_method": "purge", "resale_allowed": False})
    batch = org.merged({"resale_allowed": True})
    assert batch.minimum_method is Method.purge and batch.resale_allowed


def test_weakenings_name_what_a_batch_override_loosens():
    org = Policy(minimum_method="purge", resale_allowed=False)
    found = org.weakenings(org.merged({"minimum_method": "clear", "resale_allowed": True}))
    assert len(found) == 2 and "minimum_method clear is below purge" in found


def test_tightening_is_not_a_weakening():
    org = Policy()
    assert org.weakenings(org.merged({"minimum_method": "destroy", "resale_allowed": False})) == []
