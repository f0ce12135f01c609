"""The standard MIB objects the probe reads, and the enumerations that give their numbers a name.

OIDs are kept as dotted strings (readable, greppable against a MIB) and turned into tuples once,
where the walk needs prefix tests.
"""

from __future__ import annotations

from functools import lru_cache

# SNMPv2-MIB system group (scalars, instance .0)
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
SYS_OBJECT_ID = "1.3.6.1.2.1.1.2.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYSTEM_SCALARS = (SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME)

# ENTITY-MIB entPhysicalTable columns (RFC 6933), indexed by entPhysicalIndex
ENT_PHYSICAL_ENTRY = "1.3.6.1.2.1.47.1.1.1.1"
ENT_DESCR = ENT_PHYSICAL_ENTRY + ".2"
ENT_CLASS = ENT_PHYSICAL_ENTRY + ".5"
ENT_NAME = ENT_PHYSICAL_ENTRY + ".7"
ENT_HARDWARE_REV = ENT_PHYSICAL_ENTRY + ".8"
ENT_FIRMWARE_REV = ENT_PHYSICAL_ENTRY + ".9"
ENT_SOFTWARE_REV = ENT_PHYSICAL_ENTRY + ".10"
ENT_SERIAL = ENT_PHYSICAL_ENTRY + ".11"
ENT_MFG_NAME = ENT_PHYSICAL_ENTRY + ".12"
ENT_MODEL_NAME = ENT_PHYSICAL_ENTRY + ".13"
ENTITY_COLUMNS = (
    ENT_DESCR, ENT_CLASS, ENT_NAME, ENT_HARDWARE_REV, ENT_FIRMWARE_REV,
    ENT_SOFTWARE_REV, ENT_SERIAL, ENT_MFG_NAME, ENT_MODEL_NAME,
)
# Walked for every entity: what identifies it. A switch has dozens of ports, sensors and fans that carry
# none of these; reading their names and revisions too more than doubled the data of a sweep.
ENTITY_IDENTITY_COLUMNS = (ENT_CLASS, ENT_SERIAL, ENT_MFG_NAME, ENT_MODEL_NAME)
# Read (GET) only for the entities that identify hardware: see probe._detailed_entities.
ENTITY_DETAIL_COLUMNS = (ENT_DESCR, ENT_NAME, ENT_HARDWARE_REV, ENT_FIRMWARE_REV, ENT_SOFTWARE_REV)

# ENTITY-MIB PhysicalClass textual convention (RFC 6933 adds 13..15). Anything else reads as "other".
PHYSICAL_CLASSES = {
    1: "other",
    2: "unknown",
    3: "chassis",
    4: "backplane",
    5: "container",
    6: "powerSupply",
    7: "fan",
    8: "sensor",
    9: "module",
    10: "port",
    11: "stack",
    12: "cpu",
    13: "energyObject",
    14: "battery",
    15: "storageDrive",
}

# Printer-MIB prtGeneralSerialNumber, indexed by hrDeviceIndex (usually .1)
PRT_GENERAL_SERIAL = "1.3.6.1.2.1.43.5.1.1.17"

# HOST-RESOURCES-MIB hrStorageTable, indexed by hrStorageIndex
HR_STORAGE_ENTRY = "1.3.6.1.2.1.25.2.3.1"
HR_STORAGE_TYPE = HR_STORAGE_ENTRY + ".2"
HR_STORAGE_DESCR = HR_STORAGE_ENTRY + ".3"
HR_STORAGE_UNITS = HR_STORAGE_ENTRY + ".4"
HR_STORAGE_SIZE = HR_STORAGE_ENTRY + ".5"
HR_STORAGE_COLUMNS = (HR_STORAGE_TYPE, HR_STORAGE_DESCR, HR_STORAGE_UNITS, HR_STORAGE_SIZE)

# hrStorageTypes: 1.3.6.1.2.1.25.2.1.N
HR_STORAGE_TYPES_PREFIX = "1.3.6.1.2.1.25.2.1."
HR_STORAGE_TYPES = {
    1: "other",
    2: "ram",
    3: "virtualMemory",
    4: "fixedDisk",
    5: "removableDisk",
    6: "floppyDisk",
    7: "compactDisc",
    8: "ramDisk",
    9: "flashMemory",
    10: "networkDisk",
}

# hrDeviceTable, indexed by hrDeviceIndex
HR_DEVICE_ENTRY = "1.3.6.1.2.1.25.3.2.1"
HR_DEVICE_TYPE = HR_DEVICE_ENTRY + ".2"
HR_DEVICE_DESCR = HR_DEVICE_ENTRY + ".3"
HR_DEVICE_DISK_STORAGE = "1.3.6.1.2.1.25.3.1.6"

# hrDiskStorageTable, same index as hrDeviceTable (one row per hrDeviceDiskStorage device)
HR_DISK_ENTRY = "1.3.6.1.2.1.25.3.6.1"
HR_DISK_ACCESS = HR_DISK_ENTRY + ".1"
HR_DISK_MEDIA = HR_DISK_ENTRY + ".2"
HR_DISK_REMOVABLE = HR_DISK_ENTRY + ".3"
HR_DISK_CAPACITY_KB = HR_DISK_ENTRY + ".4"
HR_DISK_COLUMNS = (HR_DISK_MEDIA, HR_DISK_REMOVABLE, HR_DISK_CAPACITY_KB)

HR_DISK_MEDIA_TYPES = {
    1: "other",
    2: "unknown",
    3: "hardDisk",
    4: "floppyDisk",
    5: "opticalDiskROM",
    6: "opticalDiskWORM",
    7: "opticalDiskRW",
    8: "ramDisk",
}

# The tables a probe walks, each found by a first look at its first walked column (one object each, in
# the same request as the system scalars). hrDeviceDescr names the disks, so it is walked only when
# hrDiskStorageTable exists.
TABLE_WALKS = {
    ENT_CLASS: ENTITY_IDENTITY_COLUMNS,
    PRT_GENERAL_SERIAL: (PRT_GENERAL_SERIAL,),
    HR_STORAGE_TYPE: HR_STORAGE_COLUMNS,
    HR_DISK_MEDIA: HR_DISK_COLUMNS + (HR_DEVICE_DESCR,),
}


@lru_cache(maxsize=4096)  # the same constant OIDs, converted for every device of a sweep
def as_tuple(oid: str) -> tuple[int, ...]:
    return tuple(int(part) for part in oid.strip(".").split("."))


def as_dotted(oid: tuple[int, ...]) -> str:
    return ".".join(str(part) for part in oid)
