"""SNMP identification of network-attached assets (switches, routers, firewalls, printers, UPSs).

Pure asyncio + pysnmp: no Flask, no SQLAlchemy. The app wires results to the database and jobs.
"""

from itad.snmp.probe import PhysicalEntity, ProbeResult, StorageEntry, probe, probe_hosts, probe_many
from itad.snmp.reconcile import DataBearingMedium, ManifestDevice, Reconciliation, reconcile
from itad.snmp.target import Target, TargetError
from itad.snmp.vendors import VENDORS, VendorOids

__all__ = [
    "DataBearingMedium", "ManifestDevice", "PhysicalEntity", "ProbeResult", "Reconciliation",
    "StorageEntry", "Target", "TargetError", "VENDORS", "VendorOids",
    "probe", "probe_hosts", "probe_many", "reconcile",
]
