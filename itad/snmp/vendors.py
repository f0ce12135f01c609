"""Where each vendor hides the serial number and model when the standard MIBs do not carry them.

Many printers, UPSs and older switches implement neither ENTITY-MIB nor Printer-MIB's serial. Their
enterprise MIBs do. A device is matched by its sysObjectID's enterprise prefix; then the listed OIDs are
read in order and the first non-empty answer wins. To support a new vendor, add one VendorOids line.
"""

from __future__ import annotations

from dataclasses import dataclass

from itad.snmp.oids import as_tuple


@dataclass(frozen=True)
class VendorOids:
    manufacturer: str
    prefix: str  # sysObjectID prefix, usually 1.3.6.1.4.1.<enterprise number>
    serial: tuple[str, ...] = ()
    model: tuple[str, ...] = ()
    manufacturer_oids: tuple[str, ...] = ()  # when the device names its maker better than we can

    def matches(self, sys_object_id: tuple[int, ...] | None) -> bool:
        prefix = as_tuple(self.prefix)
        return sys_object_id is not None and sys_object_id[: len(prefix)] == prefix

    def oids(self) -> tuple[str, ...]:
        return self.serial + self.model + self.manufacturer_oids


# Eaton's XUPS-MIB (enterprise 534) is also answered by MGE-lineage Eaton cards whose sysObjectID is MGE's
# (705), so both entries list both families.
_EATON_MODEL = ("1.3.6.1.4.1.534.1.1.2.0", "1.3.6.1.4.1.705.1.1.1.0")  # xupsIdentModel, upsmgIdentFamilyName
_EATON_SERIAL = ("1.3.6.1.4.1.705.1.1.7.0",)  # upsmgIdentSerialNumber (XUPS-MIB has no serial)
_EATON_MAKER = ("1.3.6.1.4.1.534.1.1.1.0",)  # xupsIdentManufacturer

VENDORS: tuple[VendorOids, ...] = (
    VendorOids("Brother", "1.3.6.1.4.1.2435",
               serial=("1.3.6.1.4.1.2435.2.3.9.4.2.1.5.5.1.0",),
               model=("1.3.6.1.4.1.2435.2.4.3.2435.5.13.3.0",)),
    VendorOids("HP", "1.3.6.1.4.1.11",
               serial=("1.3.6.1.4.1.11.2.3.9.4.2.1.1.3.3.0",  # HP printers (JetDirect)
                       "1.3.6.1.4.1.11.2.36.1.1.2.9.0")),      # hpHttpMgSerialNumber (ProCurve)
    VendorOids("Cisco", "1.3.6.1.4.1.9",
               serial=("1.3.6.1.4.1.9.3.6.3.0",)),             # OLD-CISCO-CHASSIS-MIB chassisId
    VendorOids("Eaton", "1.3.6.1.4.1.534",
               serial=_EATON_SERIAL, model=_EATON_MODEL, manufacturer_oids=_EATON_MAKER),
    VendorOids("Eaton", "1.3.6.1.4.1.705",
               serial=_EATON_SERIAL, model=_EATON_MODEL, manufacturer_oids=_EATON_MAKER),
    VendorOids("APC", "1.3.6.1.4.1.318",
               serial=("1.3.6.1.4.1.318.1.1.1.1.2.3.0",),      # upsAdvIdentSerialNumber
               model=("1.3.6.1.4.1.318.1.1.1.1.1.1.0",)),      # upsBasicIdentModel
    VendorOids("Juniper", "1.3.6.1.4.1.2636",
               serial=("1.3.6.1.4.1.2636.3.1.3.0",),           # jnxBoxSerialNo
               model=("1.3.6.1.4.1.2636.3.1.2.0",)),           # jnxBoxDescr
    VendorOids("Fortinet", "1.3.6.1.4.1.12356",
               serial=("1.3.6.1.4.1.12356.100.1.1.1.0",)),     # fnSysSerial
)


def vendor_for(sys_object_id: tuple[int, ...] | None,
               vendors: tuple[VendorOids, ...] = VENDORS) -> VendorOids | None:
    """The most specific entry whose prefix the sysObjectID starts with."""
    matching = [vendor for vendor in vendors if vendor.matches(sys_object_id)]
    return max(matching, key=lambda vendor: len(as_tuple(vendor.prefix)), default=None)
