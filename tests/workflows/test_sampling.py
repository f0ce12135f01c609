from hypothesis import given, strategies as st

from workflows.policy import Policy
from workflows.sampling import draw, plan_verification

SAMPLE = Policy(verification="sample", sample_percent=10)


def test_all_mode_requires_every_medium():
    plan = plan_verification("B1", [(1, "purge"), (2, "clear")], Policy())
    assert plan.required == {1, 2}


def test_every_cleared_medium_is_verified_under_sampling():
    media = [(i, "clear") for i in range(50)]
    assert plan_verification("B1", media, SAMPLE).required == set(range(50))


def test_purged_media_sample_is_roughly_the_percent():
    media = [(i, "purge") for i in range(2000)]
    n = len(plan_verification("B7", media, SAMPLE).required)
    assert 140 <= n <= 260


def test_at_least_one_medium_per_batch_is_verified_even_at_zero_percent():
    plan = plan_verification("B2", [(i, "purge") for i in range(5)], Policy(verification="sample", sample_percent=0))
    assert len(plan.required) == 1
    (only,) = plan.required
    assert "at least one" in plan.reasons[only]


def test_selection_is_reproducible_and_ignores_input_order():
    media = [(i, "purge") for i in range(100)]
    a = plan_verification("B3", media, SAMPLE)
    b = plan_verification("B3", list(reversed(media)), SAMPLE)
    assert a.required == b.required


def test_different_batches_draw_differently():
    assert draw("B1", 1) != draw("B2", 1)


@given(st.lists(st.integers(0, 10_000), unique=True, min_size=1, max_size=40), st.integers(0, 10_000),
       st.integers(0, 100))
def test_adding_a_medium_never_adds_verification_to_media_already_decided(ids, extra, percent):
    policy = Policy(verification="sample", sample_percent=percent, verify_all_cleared=False)
    before = plan_verification("B9", [(i, "purge") for i in ids], policy).required
    after = plan_verification("B9", [(i, "purge") for i in ids + [extra]], policy).required
    assert (after - before) <= {extra}
