"""Identify a network-attached asset over SNMP: who made it, what model, which serial, what storage it holds.

Pure asyncio + pysnmp, no Flask, no database: callers hand in Targets and get ProbeResults back, and
decide themselves what to store. A probe never raises for a device's sake: an unreachable host, wrong
credentials or a device answering garbage all come back as ProbeResult(ok=False, error=...), so one bad
device never stops a sweep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from itad.snmp import oids, values
from itad.snmp.session import AgentError, EnginePool, Session
from itad.snmp.target import Target
from itad.snmp.vendors import VENDORS, VendorOids, vendor_for


@dataclass(frozen=True)
class PhysicalEntity:
    """One row of ENTITY-MIB's entPhysicalTable."""

    index: int
    class_: str  # chassis, module, port, powerSupply, fan, sensor, container, stack, cpu, storageDrive...
    descr: str | None = None
    name: str | None = None
    serial: str | None = None
    model_name: str | None = None
    manufacturer: str | None = None
    hardware_rev: str | None = None
    firmware_rev: str | None = None
    software_rev: str | None = None


@dataclass(frozen=True)
class StorageEntry:
    """A storage area (hrStorageTable) or a disk device (hrDiskStorageTable) reported by HOST-RESOURCES-MIB.

    source "hrStorage": type is an hrStorageTypes name (fixedDisk, removableDisk, flashMemory, ram...),
    size_bytes = allocation units x size. source "hrDisk": type is the disk's media (hardDisk, floppyDisk,
    opticalDiskRW, ramDisk...), capacity_kb as reported, size_bytes = capacity_kb x 1024.
    """

    index: int
    source: str  # "hrStorage" | "hrDisk"
    type: str
    descr: str | None = None
    size_bytes: int | None = None
    capacity_kb: int | None = None
    removable: bool | None = None

    @property
    def data_bearing(self) -> bool:
        """Could hold client data after the device leaves the building (so it must be sanitized)."""
        if self.source == "hrStorage":
            return self.type in ("fixedDisk", "removableDisk", "floppyDisk", "flashMemory")
        return self.type not in ("ramDisk", "opticalDiskROM")


@dataclass(frozen=True)
class ProbeResult:
    host: str
    ok: bool
    error: str | None = None
    sys_descr: str | None = None
    sys_object_id: str | None = None
    sys_name: str | None = None
    sys_uptime: int | None = None  # hundredths of a second (TimeTicks)
    entities: list[PhysicalEntity] = field(default_factory=list)
    printer_serial: str | None = None
    storage: list[StorageEntry] = field(default_factory=list)
    vendor_serial: str | None = None
    vendor_model: str | None = None
    vendor_manufacturer: str | None = None
    chassis_serial: str | None = None
    model: str | None = None
    manufacturer: str | None = None
    port: int = 161
    seconds: float = 0.0

    @property
    def chassis(self) -> PhysicalEntity | None:
        """The chassis entity the identity came from: class chassis, lowest index with a serial."""
        return _chassis(self.entities)


async def probe(target: Target, *, vendors: tuple[VendorOids, ...] = VENDORS,
                _pool: EnginePool | None = None) -> ProbeResult:
    """Read one device's identity. Never raises for a device's fault; see ProbeResult.error."""
    pool = _pool or EnginePool()
    started = asyncio.get_running_loop().time()
    found: dict = {}
    try:
        async with asyncio.timeout(target.max_seconds):
            await _read(Session(pool, target), vendors, found)
        error = None
    except AgentError as exc:
        error = str(exc)
    except TimeoutError:
        error = f"gave up after {target.max_seconds:g} s (device too slow); partial data kept"
    except Exception as exc:  # a bug or a decoder surprise must not cost the other devices of the sweep
        error = f"probe failed unexpectedly: {type(exc).__name__}: {exc}"
    finally:
        if _pool is None:
            await pool.aclose()
    return _result(target, found, error, asyncio.get_running_loop().time() - started)


async def probe_many(targets: Iterable[Target], concurrency: int = 100,
                     on_progress: Callable[[int, int, ProbeResult], None] | None = None,
                     *, vendors: tuple[VendorOids, ...] = VENDORS) -> list[ProbeResult]:
    """Probe many devices at once; results in the order of targets, one per target, never an exception.

    on_progress(done, total, result) is called as each device finishes (e.g. to update a job's meta).
    """
    targets = list(targets)
    gate = asyncio.Semaphore(max(1, concurrency))
    pool = EnginePool()
    done = 0

    async def one(target: Target) -> ProbeResult:
        nonlocal done
        async with gate:
            result = await probe(target, vendors=vendors, _pool=pool)
        done += 1
        if on_progress is not None:
            try:
                on_progress(done, len(targets), result)
            except Exception:  # a broken progress hook must not abort the sweep
                pass
        return result

    try:
        return list(await asyncio.gather(*(one(target) for target in targets)))
    finally:
        await pool.aclose()


def probe_hosts(targets: Iterable[Target], concurrency: int = 100,
                on_progress: Callable[[int, int, ProbeResult], None] | None = None) -> list[ProbeResult]:
    """Synchronous probe_many, for RQ jobs and the CLI (starts and closes its own event loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(probe_many(targets, concurrency=concurrency, on_progress=on_progress))
    raise RuntimeError("probe_hosts() runs its own event loop; inside async code, await probe_many() instead")


async def _read(session: Session, vendors: tuple[VendorOids, ...], found: dict) -> None:
    """Fill `found` as answers arrive, so a device that stalls half-way still leaves what it said.

    Round trips are what a sweep pays for (each costs both sides a message to build and decode), so:
    one request for the system scalars plus a first look at each table; the tables that exist walked
    side by side, the vendor's serial OIDs riding along in their first request; then one GET of the
    descriptive columns for the few entities that identify hardware. A router without any of these
    tables is read in one request, a 61-entity switch in seven.
    """
    found["tables"] = tables = {}
    found["system"], present = await session.first_look(oids.SYSTEM_SCALARS, tuple(oids.TABLE_WALKS), into=tables)
    vendor = vendor_for(values.oid(found["system"].get(oids.SYS_OBJECT_ID)), vendors)
    scalars: tuple[str, ...] = ()
    if vendor is not None:
        found["vendor"], found["vendor_values"], scalars = vendor, {}, vendor.oids()
    columns = tuple(column for probe_column in present for column in oids.TABLE_WALKS[probe_column])
    await session.walk(columns, into=tables, scalars=scalars, answers=found.get("vendor_values"))
    details = tuple(f"{column}.{index[0]}" for index in _detailed_entities(tables)
                    for column in oids.ENTITY_DETAIL_COLUMNS)
    if details:
        for oid, value in (await session.get(details)).items():
            column, index = oid.rsplit(".", 1)
            tables.setdefault(column, {})[(int(index),)] = value


def _detailed_entities(tables: dict) -> list[tuple[int]]:
    """Entities whose description, name and revisions are worth a request: those that identify hardware.

    Chassis, modules and drives always; any other entity (power supply, transceiver...) that reports a
    serial or model. Ports, sensors and fans without either are listed by class only.
    """
    column = lambda oid: tables.get(oid, {})  # noqa: E731
    wanted = []
    for index in sorted({i for col in oids.ENTITY_IDENTITY_COLUMNS for i in column(col)
                         if _single_index(i) is not None}):
        class_ = oids.PHYSICAL_CLASSES.get(values.integer(column(oids.ENT_CLASS).get(index)))
        if class_ in ("chassis", "module", "storageDrive") or values.text(column(oids.ENT_SERIAL).get(index)) \
                or values.text(column(oids.ENT_MODEL_NAME).get(index)):
            wanted.append(index)
    return wanted


def _result(target: Target, found: dict, error: str | None, seconds: float) -> ProbeResult:
    system = found.get("system", {})
    tables = found.get("tables", {})
    entities = _entities(tables)
    storage = _storage(tables)
    printer_serial = _first_text(tables.get(oids.PRT_GENERAL_SERIAL, {}))
    vendor_serial, vendor_model, vendor_maker = _vendor_values(found.get("vendor"), found.get("vendor_values", {}))
    sys_object_id = values.oid(system.get(oids.SYS_OBJECT_ID))

    chassis = _chassis(entities)
    chassis_serial = (chassis.serial if chassis else None) or printer_serial or vendor_serial
    model = (chassis.model_name if chassis else None) or vendor_model
    manufacturer = (chassis.manufacturer if chassis else None) or vendor_maker
    return ProbeResult(
        host=target.host,
        port=target.port,
        ok=error is None,
        error=error,
        sys_descr=values.text(system.get(oids.SYS_DESCR)),
        sys_object_id=oids.as_dotted(sys_object_id) if sys_object_id else None,
        sys_name=values.text(system.get(oids.SYS_NAME)),
        sys_uptime=values.integer(system.get(oids.SYS_UPTIME)),
        entities=entities,
        printer_serial=printer_serial,
        storage=storage,
        vendor_serial=vendor_serial,
        vendor_model=vendor_model,
        vendor_manufacturer=vendor_maker,
        chassis_serial=chassis_serial,
        model=model,
        manufacturer=manufacturer,
        seconds=round(seconds, 4),
    )


def _chassis(entities: list[PhysicalEntity]) -> PhysicalEntity | None:
    return min((e for e in entities if e.class_ == "chassis" and e.serial), key=lambda e: e.index, default=None)


def _single_index(index: tuple[int, ...]) -> int | None:
    return index[0] if len(index) == 1 else None


def _entities(tables: dict) -> list[PhysicalEntity]:
    column = lambda oid: tables.get(oid, {})  # noqa: E731
    indexes = sorted({i for col in oids.ENTITY_COLUMNS for i in column(col) if _single_index(i) is not None})
    entities = []
    for index in indexes:
        class_number = values.integer(column(oids.ENT_CLASS).get(index))
        entities.append(PhysicalEntity(
            index=index[0],
            class_=oids.PHYSICAL_CLASSES.get(class_number, "other"),
            descr=values.text(column(oids.ENT_DESCR).get(index)),
            name=values.text(column(oids.ENT_NAME).get(index)),
            serial=values.text(column(oids.ENT_SERIAL).get(index)),
            model_name=values.text(column(oids.ENT_MODEL_NAME).get(index)),
            manufacturer=values.text(column(oids.ENT_MFG_NAME).get(index)),
            hardware_rev=values.text(column(oids.ENT_HARDWARE_REV).get(index)),
            firmware_rev=values.text(column(oids.ENT_FIRMWARE_REV).get(index)),
            software_rev=values.text(column(oids.ENT_SOFTWARE_REV).get(index)),
        ))
    return entities


def _storage(tables: dict) -> list[StorageEntry]:
    column = lambda oid: tables.get(oid, {})  # noqa: E731
    entries = []
    for index in sorted(i for i in column(oids.HR_STORAGE_TYPE) if _single_index(i) is not None):
        type_oid = values.oid(column(oids.HR_STORAGE_TYPE).get(index)) or ()
        prefix = oids.as_tuple(oids.HR_STORAGE_TYPES_PREFIX)
        type_number = type_oid[len(prefix)] if type_oid[: len(prefix)] == prefix and len(type_oid) > len(prefix) \
            else None
        units = values.integer(column(oids.HR_STORAGE_UNITS).get(index))
        size = values.integer(column(oids.HR_STORAGE_SIZE).get(index))
        entries.append(StorageEntry(
            index=index[0], source="hrStorage",
            type=oids.HR_STORAGE_TYPES.get(type_number, "other"),
            descr=values.text(column(oids.HR_STORAGE_DESCR).get(index)),
            size_bytes=units * size if units is not None and size is not None and units > 0 and size >= 0 else None,
        ))
    for index in sorted(i for i in column(oids.HR_DISK_MEDIA) if _single_index(i) is not None):
        capacity = values.integer(column(oids.HR_DISK_CAPACITY_KB).get(index))
        removable = values.integer(column(oids.HR_DISK_REMOVABLE).get(index))
        entries.append(StorageEntry(
            index=index[0], source="hrDisk",
            type=oids.HR_DISK_MEDIA_TYPES.get(values.integer(column(oids.HR_DISK_MEDIA).get(index)), "unknown"),
            descr=values.text(column(oids.HR_DEVICE_DESCR).get(index)),
            capacity_kb=capacity,
            size_bytes=capacity * 1024 if capacity is not None and capacity >= 0 else None,
            removable={1: True, 2: False}.get(removable),
        ))
    return entries


def _first_text(column: dict) -> str | None:
    for index in sorted(column):
        value = values.text(column[index])
        if value:
            return value
    return None


def _vendor_values(vendor: VendorOids | None, answers: dict) -> tuple[str | None, str | None, str | None]:
    if vendor is None:
        return None, None, None

    def first(candidates: tuple[str, ...]) -> str | None:
        return next((v for v in (values.text(answers.get(oid)) for oid in candidates) if v), None)

    return first(vendor.serial), first(vendor.model), first(vendor.manufacturer_oids) or vendor.manufacturer
