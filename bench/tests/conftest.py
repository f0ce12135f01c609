"""Tests of the bench tools themselves, kept out of the product suite (`make test`): run them with
`.venv/bin/python -m pytest bench/tests` after changing a tool under bench/."""

from tests.snmp.conftest import agent  # noqa: F401 - the snmpsim agent fixture, shared with the SNMP tests
