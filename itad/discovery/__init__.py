"""Identifying network-attached assets over SNMP, inside the workflow.

itad.snmp is the pure probe (asyncio + pysnmp, no database). This package is its place in the app: a
probe request with its targets (probes), the `snmp` job that runs it (jobs), writing what each device
said into results, custody events and storage media (recording), the sealed credentials that travel
from the request to the job (credentials), and the `itad snmp` command (commands).
"""
