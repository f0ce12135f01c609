"""Talking SNMP to one device: GET a few OIDs, walk a few table columns, and say plainly what went wrong.

pysnmp reports failures as error-indication objects; here they become AgentError subclasses whose message
a technician can act on. The engines behind a session are shared by a whole sweep (itad.snmp.engine),
and every request goes through pysnmp's public asyncio API.
"""

from __future__ import annotations

from pyasn1.type import univ
from pysnmp.hlapi.v3arch.asyncio import UdpTransportTarget
from pysnmp.proto import errind, rfc1905

from itad.snmp.engine import EnginePool
from itad.snmp.oids import as_dotted, as_tuple
from itad.snmp.target import Target

# Per GETBULK: under snmpsim's default cap (64); an agent that cannot fit them all returns fewer rows, and
# the walk simply asks again from where the answer stopped.
MAX_VARBINDS_PER_REQUEST = 60
MAX_ROWS_PER_COLUMN = 10_000  # a broken agent that loops must not keep us walking forever
# Rows a table is first assumed to have. Most devices' tables are that small (one to a few storage areas,
# a printer's serial), and asking for a full response of them reads mostly past their end; a larger
# table costs one request more.
FIRST_GUESS_ROWS = 4
TOO_BIG = 1
NO_SUCH_NAME = 2  # SNMPv1 errorStatus for "end of MIB" / "no such OID"


Rows = dict[str, dict[tuple[int, ...], object]]  # column OID -> row index -> raw value


class AgentError(Exception):
    """The device could not be read; str() is the human-readable reason."""


class NoResponse(AgentError):
    pass


class AuthenticationFailed(AgentError):
    pass


class Garbage(AgentError):
    pass


class Refused(AgentError):
    pass


class Session:
    """One device, one credential set. Every method raises AgentError or returns data."""

    def __init__(self, pool: EnginePool, target: Target) -> None:
        self.pool = pool
        self.target = target
        self._to: UdpTransportTarget | None = None  # the device's address, resolved on first use
        self._address: tuple[str, int] | None = None
        self._max_varbinds = MAX_VARBINDS_PER_REQUEST

    async def get(self, oids: tuple[str, ...]) -> dict[str, object]:
        """Values by dotted OID; absent objects come back as pysnmp's noSuch* (read as None downstream).

        Asked in requests of at most as many OIDs as a walk's response holds (a switch's entity details
        can be hundreds); an agent that answers tooBig is asked for half as many at a time.
        """
        wanted, found = list(oids), {}
        while wanted:
            chunk = wanted[: self._max_varbinds]
            indication, status, index, answer = await self._request("get", [as_tuple(oid) for oid in chunk])
            if indication:
                raise self._explain(indication)
            if status:
                if int(status) == NO_SUCH_NAME and self.target.version == "1" and 0 < int(index) <= len(chunk):
                    del wanted[int(index) - 1]  # v1 fails the whole GET for one missing OID: drop it, ask again
                    continue
                if int(status) == TOO_BIG and len(chunk) > 1:
                    self._max_varbinds = max(1, len(chunk) // 2)
                    continue
                raise Refused(f"device refused the request: {_status_text(status)}")
            found.update((as_dotted(tuple(name)), value) for name, value in answer)
            del wanted[: len(chunk)]
        return found

    async def first_look(self, scalars: tuple[str, ...], probes: tuple[str, ...],
                         into: Rows | None = None) -> tuple[dict[str, object], set[str]]:
        """One request: the scalars, and the first object after each probe column.

        Returns the scalars' values (None when absent) and the probes whose table exists (the answer fell
        inside the probe's table entry, the column minus its last arc). An answer inside the probe column
        itself is the table's first row and lands in `into`, so a walk of that column resumes after it.
        """
        rows = into if into is not None else {}
        answers, columns = await self._bulk(list(scalars), [as_tuple(probe) for probe in probes], 1)
        present = set()
        for probe, got in zip(probes, columns):
            column = as_tuple(probe)
            for oid, value in (got or [])[:1]:
                if _end_of_mib(value) or oid[: len(column) - 1] != column[:-1]:
                    continue
                present.add(probe)
                if oid[: len(column)] == column:
                    rows.setdefault(probe, {})[oid[len(column):]] = value
        return {scalar: answers.get(scalar) for scalar in scalars}, present

    async def walk(self, columns: tuple[str, ...], into: Rows | None = None, *,
                   scalars: tuple[str, ...] = (), answers: dict[str, object] | None = None) -> Rows:
        """Walk several table columns side by side: values by column, then by row index.

        Adjacent columns of one table (hrStorageType..Size) form a run that is walked as one stretch:
        GETBULK past the end of a column simply continues into the next one, so a run costs one overshoot
        at its end instead of one per column. Once a run's first column is read, its row count bounds the
        repetitions asked, so the last request does not read far past the table. Rows already in `into`
        (a first_look's answer) are not asked again.

        `scalars` (instances ending in .0, e.g. a vendor's serial OID) ride along in the first request as
        non-repeaters and land in `answers` (None when absent); others are read with a GET at the end.
        """
        rows = into if into is not None else {}
        answers = answers if answers is not None else {}
        for column in columns:
            rows.setdefault(column, {})
        runs = [_Run(run, rows) for run in _runs(columns)]
        while runs:
            riding = [scalar for scalar in scalars if scalar.endswith(".0") and scalar not in answers]
            budget = max(1, self._max_varbinds - len(riding))
            repetitions = max(1, min(budget // len(runs), max(run.wanted() for run in runs)))
            got_scalars, got_columns = await self._bulk(riding, [run.cursor for run in runs], repetitions)
            answers.update(got_scalars)  # a scalar the agent cut off rides again in the next request
            if not any(got_columns) and not got_scalars:
                break  # an agent answering GETBULK with nothing at all: stop rather than ask forever
            runs = [run for run, got in zip(runs, got_columns) if run.take(got, rows)]
        missing = tuple(scalar for scalar in scalars if scalar not in answers)
        if missing:
            answers.update(await self.get(missing))
        return rows

    async def _bulk(self, scalars: list[str], cursors: list[tuple[int, ...]], repetitions: int):
        """One GETBULK: each scalar as a non-repeater, then `repetitions` objects after each cursor.

        A scalar X.0 is asked as the next object after X, which is X.0 itself when the device has it;
        anything else means absent (None). Returns ({scalar: value}, [[(oid, value), ...] per cursor]).
        A scalar missing from the answer (the agent cut a long response short) is not in the dict; a
        cursor with nothing after it in the whole MIB gets None rather than a list. SNMPv1 has no GETBULK:
        one GETNEXT asks one object each, and its noSuchName (end of MIB at that varbind) drops the varbind
        and asks again.
        """
        scalars, live = list(scalars), list(range(len(cursors)))
        found: dict[str, object] = {}
        columns: list[list | None] = [[] for _ in cursors]
        while scalars or live:
            names = [as_tuple(scalar)[:-1] for scalar in scalars] + [cursors[i] for i in live]
            if self.target.version == "1":
                reply = await self._request("next", names)
            else:
                reply = await self._request("bulk", names, repetitions, non_repeaters=len(scalars))
            indication, status, index, answer = reply
            if indication:
                raise self._explain(indication)
            if status:
                if int(status) == NO_SUCH_NAME and 0 < int(index) <= len(names):
                    position = int(index) - 1
                    if position < len(scalars):
                        found[scalars.pop(position)] = None
                    else:
                        columns[live.pop(position - len(scalars))] = None  # v1: "nothing after this cursor"
                    continue
                if int(status) == TOO_BIG and repetitions > 1:
                    repetitions = max(1, repetitions // 2)  # an agent that refuses instead of truncating
                    self._max_varbinds = max(len(names), self._max_varbinds // 2)
                    continue
                raise Refused(f"device refused the walk: {_status_text(status)}")
            for scalar, (name, value) in zip(scalars, answer[: len(scalars)]):
                found[scalar] = None if _end_of_mib(value) or tuple(name) != as_tuple(scalar) else value
            rest = answer[len(scalars):]
            for position, (name, value) in enumerate(rest):
                columns[live[position % len(live)]].append((tuple(name), value))
            break
        return found, columns

    async def _request(self, kind: str, names: list[tuple[int, ...]], repetitions: int = 0,
                       non_repeaters: int = 0):
        """One GET / GETNEXT / GETBULK by numeric OID (itad.snmp.engine)."""
        target = self.target
        if self._to is None:
            try:
                self._to = await UdpTransportTarget.create((target.host, target.port), timeout=target.timeout,
                                                           retries=target.retries)
            except Exception as exc:
                raise NoResponse(f"cannot resolve {target.host}: {exc}") from None
            self._address = (str(self._to.transport_address[0]), int(self._to.transport_address[1]))
        try:
            return await self.pool.request(target, self._to, kind, names, repetitions, non_repeaters)
        except Exception as exc:  # pysnmp raises from deep inside the decoder on malformed answers
            raise Garbage(f"device answered garbage: {type(exc).__name__}: {exc}") from None

    def _explain(self, indication) -> AgentError:
        target = self.target
        if isinstance(indication, errind.RequestTimedOut):
            silence = f"no response within {target.timeout:g} s ({target.retries} retries)"
            junk = self.pool.undecodable.get(self._address or ("", 0), 0)
            if junk:
                sample = self.pool.first_garbage.get(self._address or ("", 0), b"").hex()
                return Garbage(f"device answered garbage: {junk} datagram(s) that are not SNMP "
                               f"(starting {sample}), {silence}")
            return NoResponse(silence)
        if isinstance(indication, (errind.WrongDigest, errind.AuthenticationFailure, errind.AuthenticationError)):
            return AuthenticationFailed("authentication failed (wrong v3 credentials)")
        if isinstance(indication, errind.UnknownUserName):
            return AuthenticationFailed(f"authentication failed (the device has no v3 user {target.user!r})")
        if isinstance(indication, errind.DecryptionError):
            return AuthenticationFailed("decryption failed (wrong v3 privacy key or protocol)")
        if isinstance(indication, errind.UnsupportedSecurityLevel):
            return AuthenticationFailed("the device does not accept this v3 security level (auth/priv)")
        if isinstance(indication, errind.NotInTimeWindow):
            return AuthenticationFailed("v3 message outside the device's time window (clock/boots mismatch)")
        return AgentError(f"SNMP error: {indication}")


def _status_text(status) -> str:
    try:
        return rfc1905.errorStatus.clone(int(status)).prettyPrint()  # RFC 3416's name, e.g. "genErr"
    except Exception:
        return str(status)


def _end_of_mib(value) -> bool:
    return isinstance(value, univ.Null) and type(value).__name__ == "EndOfMibView"


def _runs(columns: tuple[str, ...]) -> list[tuple[tuple[int, ...], ...]]:
    """Group columns into runs: same table entry, consecutive column numbers (2,3,4,5 -> one run)."""
    runs: list[list[tuple[int, ...]]] = []
    for column in sorted({as_tuple(column) for column in columns}):
        last = runs[-1][-1] if runs else None
        if last is not None and last[:-1] == column[:-1] and last[-1] + 1 == column[-1]:
            runs[-1].append(column)
        else:
            runs.append([column])
    return [tuple(run) for run in runs]


class _Run:
    """A stretch of adjacent columns walked as one: where it stands, and how much of it is left."""

    def __init__(self, columns: tuple[tuple[int, ...], ...], rows: Rows) -> None:
        self.columns = columns
        self.names = {column: as_dotted(column) for column in columns}
        self.entry = columns[0][:-1]
        self.numbers = {column[-1]: column for column in columns}
        self.cursor = columns[0]
        self.seen = 0
        for column in columns:  # resume after rows already read (a first look at the first column)
            for index in rows.get(self.names[column], {}):
                self.seen += 1
                self.cursor = max(self.cursor, column + index)
        self.first_rows: int | None = None  # rows of the first column, known once the walk has left it
        self.asked = False

    def wanted(self) -> int:
        """Repetitions this run could use: unbounded until its row count is known, then what is left + 1."""
        if self.first_rows is None:
            return MAX_ROWS_PER_COLUMN if self.asked else FIRST_GUESS_ROWS * len(self.columns) + 1 - self.seen
        left = self.first_rows * len(self.columns) - self.seen
        return left + 1 if left >= 0 else MAX_ROWS_PER_COLUMN  # < 0: a sparse table, rows beyond the first column

    def take(self, answers: list | None, rows: Rows) -> bool:
        """Store the answers that belong to this run; False once the run is finished.

        An empty list (the agent cut its response short before reaching this run) asks again; None (SNMPv1's
        end of MIB right after the cursor) ends the run.
        """
        self.asked = True
        if answers is None:
            return False
        for oid, value in answers:
            column = self.numbers.get(oid[len(self.entry)]) if len(oid) > len(self.entry) else None
            if _end_of_mib(value) or oid[: len(self.entry)] != self.entry or column is None or oid <= self.cursor:
                return False  # left the run, end of MIB, or an agent going backwards
            if self.first_rows is None and column != self.columns[0]:
                self.first_rows = len(rows[self.names[self.columns[0]]])
            table = rows[self.names[column]]
            table[oid[len(column):]] = value
            self.cursor = oid
            self.seen += 1
            if len(table) >= MAX_ROWS_PER_COLUMN:
                return False  # a broken agent that loops must not keep us walking forever
        return True
