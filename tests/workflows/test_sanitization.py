import pytest

from workflows.sanitization import Method, Result, assess, capability


def test_overwrite_of_ssd_claimed_as_purge_is_downgraded_to_clear():
    a = assess("ssd", "purge", "overwrite")
    assert a.decision == "downgraded" and a.effective_method is Method.clear
    assert any("at most as Clear" in r for r in a.reasons)


@pytest.mark.parametrize("media", ["nvme", "flash", "mobile"])
def test_overwrite_of_any_flash_medium_counts_at_most_as_clear(media):
    assert capability("overwrite", media) is Method.clear


def test_overwrite_of_hdd_is_clear_not_purge():
    assert assess("hdd", "clear", "overwrite").decision == "accepted"
    assert assess("hdd", "purge", "overwrite").effective_method is Method.clear


@pytest.mark.parametrize("technique", ["block_erase", "crypto_erase", "firmware_sanitize"])
def test_purge_of_ssd_is_accepted_with_block_crypto_or_sanitize_command(technique):
    a = assess("ssd", "purge", technique)
    assert a.decision == "accepted" and a.effective_method is Method.purge and a.passed


@pytest.mark.parametrize("technique", ["degauss", "firmware_sanitize", "crypto_erase", "secure_erase"])
def test_hdd_purge_techniques_from_table_a_are_accepted(technique):
    assert assess("hdd", "purge", technique).effective_method is Method.purge


def test_degauss_of_ssd_is_refused_because_it_does_nothing_to_flash():
    a = assess("ssd", "purge", "degauss")
    assert a.decision == "refused" and a.effective_method is None
    assert "no effect on flash" in a.reasons[-1]


def test_block_erase_of_magnetic_disk_is_refused():
    assert assess("hdd", "purge", "block_erase").decision == "refused"


@pytest.mark.parametrize("media", ["hdd", "ssd", "nvme", "flash", "mobile", "unknown"])
@pytest.mark.parametrize("technique", ["shred", "disintegrate", "pulverize", "incinerate", "melt"])
def test_destroy_techniques_are_valid_for_every_medium(media, technique):
    a = assess(media, "destroy", technique)
    assert a.decision == "accepted" and a.effective_method is Method.destroy


def test_hidden_areas_left_in_place_make_overwrite_erased_with_warning_not_a_pass():
    a = assess("hdd", "clear", "overwrite", hidden_areas="present")
    assert a.result is Result.erased_with_warning and not a.passed
    assert any("HPA/DCO" in r for r in a.reasons)


def test_hidden_areas_removed_give_a_clean_pass():
    assert assess("hdd", "clear", "overwrite", hidden_areas="removed").passed


def test_unknown_hidden_area_status_is_a_warning_like_nwipe_says():
    assert assess("hdd", "clear", "overwrite", hidden_areas="unknown").result is Result.erased_with_warning


def test_failed_tool_result_is_failed_whatever_the_method():
    a = assess("hdd", "destroy", "shred", tool_result="failed")
    assert a.result is Result.failed and not a.passed and a.accepted


def test_effective_method_below_policy_minimum_is_refused_with_reason():
    a = assess("ssd", "purge", "overwrite", minimum="purge")
    assert a.decision == "refused" and not a.meets_policy
    assert "below the policy minimum Purge" in a.reasons[-1]


def test_unknown_medium_cannot_be_credited_with_purge():
    assert assess("unknown", "purge", "crypto_erase").effective_method is Method.clear


def test_unknown_technique_is_refused_naming_the_known_ones():
    a = assess("hdd", "clear", "magic")
    assert a.decision == "refused" and "not recognised" in a.reasons[-1]


def test_aliases_normalise_to_the_technique():
    assert assess("nvme", "purge", "NVMe sanitize").technique == "firmware_sanitize"


def test_claim_is_never_credited_above_what_was_claimed():
    assert assess("hdd", "clear", "shred").effective_method is Method.clear


def test_bad_method_name_raises_value_error():
    with pytest.raises(ValueError, match="clear, purge, destroy"):
        assess("hdd", "wipe", "overwrite")


def test_repeated_verdicts_keep_zero_apart_from_false():
    """Verdicts are cached; a tool that says verified_by_tool=0 is not one that said False."""
    assert assess("ssd", "purge", "crypto_erase", verified_by_tool=0).reasons == ()
    assert "did not verify" in assess("ssd", "purge", "crypto_erase", verified_by_tool=False).reasons[0]
    assert assess("ssd", "purge", "crypto_erase", verified_by_tool=0).reasons == ()


def test_unhashable_input_is_judged_like_any_bad_input():
    with pytest.raises(ValueError, match="clear, purge, destroy"):
        assess("hdd", ["purge"], "overwrite")
    verdict = assess("hdd", "clear", "overwrite", hidden_areas=["present"])
    assert verdict.passed and verdict.effective_method is Method.clear
