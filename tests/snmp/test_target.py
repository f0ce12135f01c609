"""Targets: validation, and credentials kept out of every repr."""

from __future__ import annotations

import pytest

from itad.snmp import ProbeResult, Target, TargetError


def test_target_repr_hides_the_community_and_v3_keys():
    v2 = Target("10.9.8.7", community="s3cret-community")
    v3 = Target("10.9.8.7", version="3", user="ops", auth_key="auth-key-material", auth_proto="SHA-256",
                priv_key="priv-key-material", priv_proto="AES256")
    assert "s3cret-community" not in repr(v2) and "s3cret-community" not in str(v2)
    assert "auth-key-material" not in repr(v3) and "priv-key-material" not in repr(v3)
    assert "user='ops'" in repr(v3)  # the user name is not a secret and helps debugging


def test_probe_result_has_no_field_that_could_carry_a_credential():
    fields = set(ProbeResult.__dataclass_fields__)
    assert not fields & {"community", "auth_key", "priv_key", "target"}


@pytest.mark.parametrize("proto", ["SHA", "sha-256", "SHA256", "SHA-512", "MD5", "SHA-224", "SHA-384"])
def test_auth_protocol_names_are_accepted_in_common_spellings(proto):
    Target("h", version="3", user="u", auth_key="12345678", auth_proto=proto)


@pytest.mark.parametrize("options, complaint", [
    (dict(version="3", user="u", auth_key="12345678", auth_proto="SHA-3"), "unknown auth protocol"),
    (dict(version="3", user="u", auth_key="short"), "at least 8 characters"),
    (dict(version="3", user="u", priv_key="12345678"), "needs an auth key"),
    (dict(version="3"), "needs a user name"),
    (dict(version="2c", community=""), "needs a community"),
    (dict(version="4"), "version must be"),
    (dict(port=0), "not a UDP port"),
])
def test_unusable_targets_are_refused_with_the_reason(options, complaint):
    with pytest.raises(TargetError, match=complaint):
        Target("10.0.0.1", **options)


def test_target_error_message_never_contains_the_key():
    with pytest.raises(TargetError) as refused:
        Target("10.0.0.1", version="3", user="u", auth_key="tiny")
    assert "tiny" not in str(refused.value)
