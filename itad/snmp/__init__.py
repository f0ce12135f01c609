"""SNMP identification of network-attached assets (switches, routers, firewalls, printers, UPSs).

Pure asyncio + pysnmp: no Flask, no SQLAlchemy. The app wires results to the database and jobs:

    targets = [Target("10.0.0.5", community=secret), Target("10.0.0.6", version="3", user="itad",
               auth_key=k1, auth_proto="SHA-256", priv_key=k2, priv_proto="AES")]
    results = probe_hosts(targets, on_progress=lambda done, total, result: ...)   # in an RQ job
    outcome = reconcile(results[0], batch_devices, expected_device_id=device.id)  # confirmed/mismatch/...
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
