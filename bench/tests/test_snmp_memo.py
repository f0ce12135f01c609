"""bench/snmp.py's memoising front: a repeated request is answered with snmpsim's answer, under its own id."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from itad.snmp import Target, probe

from tests.snmp.conftest import free_udp_port

MEMO = Path(__file__).resolve().parents[1] / "snmp_memo.py"


def test_a_device_read_twice_through_the_front_reads_as_snmpsim_answers_it_with_one_forward_per_request(agent):
    port = free_udp_port()
    front = subprocess.Popen([sys.executable, str(MEMO), f"--listen={port}", f"--upstream={agent.port}", "--count=1"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert front.stdout.readline().strip() == "ready"
        straight = asyncio.run(probe(agent.target("printer-with-disk")))
        through = [asyncio.run(probe(Target("127.0.0.1", port, community="printer-with-disk", timeout=2.0)))
                   for _ in range(2)]
    finally:
        front.terminate()
        out, _ = front.communicate(timeout=10)
    tally = json.loads(out.strip().splitlines()[-1])
    assert all(result.ok for result in through), [result.error for result in through]
    assert replace(through[0], port=0, seconds=0) == replace(through[1], port=0, seconds=0) \
        == replace(straight, port=0, seconds=0)
    assert tally["received"] == 2 * tally["forwarded"] > 0  # the second read came from memory
