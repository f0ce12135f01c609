"""Random bench sessions through the real API on the real database: the rules hold whatever two
technicians and an admin try, in whatever order.

A hypothesis state machine drives receiving (by serial, by asset tag, unknown serials), reconciling,
wiping each medium (any method, technique and result, drives found at the bench), verifying, grading,
clearing, destroying, listing and selling, policy changes and closing the batch, through the Flask test
client with real bearer tokens. After every step it checks the database and the API's answers:

- nothing leaves through the exit door (cleared, in stock, sold) unless every data-bearing medium passed
  a wipe meeting the policy and, where the policy asks, was verified by someone other than its wiper;
- a destroyed device (like every other final state) stays where it is;
- a refused step answers 409/422 naming the device's current state and what must come first, and changes
  nothing: states, versions, media, records and the custody log are as they were;
- the batch's custody chain verifies, and an edit of any one event in the database is named by the check.

The pure machine has its own property test (tests/workflows/test_machine_properties.py); this one
is about the services, the API and the database keeping the machine's promises.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, event, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from itad.models import (
    Batch, CustodyEvent, Destruction, Device, DeviceGrading, InventoryItem, Sale, SanitizationRecord, StorageMedium,
    Verification, db,
)
from workflows.machine import SETTLED_STATES, TERMINAL_STATES
from workflows.policy import Policy
from workflows.sampling import draw
from workflows.sanitization import DESTROY_TECHNIQUES, Method
from tests.append_only import unguarded

# Kept across examples: building users hashes passwords (scrypt), the slowest thing here by far.
ACCOUNT_TABLES = frozenset({"organization", "user_account", "api_token"})


def empty_all_but_the_accounts() -> None:
    """A clean slate for each example. DELETE, not the suite's TRUNCATE: on PostgreSQL truncating some twenty
    small tables costs about a second, which per example would be most of the run."""
    with db.engine.begin() as conn, unguarded(conn):
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in ACCOUNT_TABLES:
                conn.execute(table.delete())
                # Ids start again at 1, as SQLite's do after DELETE: sampling draws by batch and medium id,
                # so the same choices must meet the same ids, or Hypothesis sees a flaky strategy.
                if conn.dialect.name == "postgresql" and "id" in table.c and table.c.id.autoincrement:
                    conn.execute(sa.text("SELECT setval(pg_get_serial_sequence(:t, 'id'), 1, false)"),
                                 {"t": table.name})
EXIT_STATES = ("cleared", "in_inventory", "sold")
MEDIA = ["hdd", "ssd", "nvme", "unknown"]
TECHNIQUES = ["crypto_erase", "overwrite", "block_erase", "firmware_sanitize", "secure_erase", "degauss", "shred",
              "magic_wand"]

policy_rules = st.fixed_dictionaries({
    "minimum_method": st.sampled_from(["clear", "clear", "purge", "purge", "destroy"]),
    "verification": st.sampled_from(["all", "sample"]),
    "sample_percent": st.sampled_from([0, 30, 100]),
    "verify_all_cleared": st.booleans(),
    "resale_allowed": st.sampled_from([True, True, False]),
    "max_failed_wipes": st.integers(1, 3),
})
# A batch override names only some fields.
policy_overrides = policy_rules.flatmap(
    lambda rules: st.sets(st.sampled_from(sorted(rules)), min_size=1, max_size=3)
    .map(lambda keys: {k: rules[k] for k in keys}))
manifest_lines = st.lists(
    st.tuples(st.sampled_from(["laptop", "laptop", "desktop", "monitor"]),
              st.lists(st.sampled_from(MEDIA), max_size=2), st.booleans()),
    min_size=1, max_size=3)


@dataclass
class Bench:
    """Set by the test before the run: the app's test client and the parties' tokens (kept across examples)."""

    client: object
    tokens: dict[str, str]
    user_ids: dict[str, int]
    acme_org_id: int


class BenchSessions(RuleBasedStateMachine):
    bench: Bench

    def __init__(self):
        super().__init__()
        self.batch_id: int | None = None
        self.serials: dict[int, str] = {}          # manifest line -> serial
        self.tags: dict[int, str] = {}             # manifest line -> asset tag
        self.items: dict[int, int] = {}            # device -> its inventory item
        self.final: dict[int, str] = {}            # device -> the final state it reached
        self.door: dict[tuple[int, str], Policy] = {}   # (device, exit state) -> policy when it got there
        self.door_checked_by_api: set[tuple[int, str]] = set()
        self.records_judged: set[int] = set()
        self.seen_states: set[str] = set()
        self.closed = self.tampered = False
        self.counter = self.steps = 0
        self.chain_verified = None
        self.media_read = None
        self.categories: dict[int, str | None] = {}    # a unit found at receiving has none
        self.cache: dict = {}

    # ------------------------------------------------------------ the API and the database

    def api(self, who: str, method: str, url: str, body=None):
        headers = {"Authorization": f"Bearer {self.bench.tokens[who]}"}
        if method != "GET":
            body = {} if body is None else body
            self.cache.clear()
        response = self.bench.client.open("/api/v1" + url, method=method, json=body, headers=headers)
        return response.status_code, response.get_json()

    def snapshot(self) -> dict:
        """Everything a refused step must leave as it was (read once per change: every write clears the cache)."""
        if "snapshot" not in self.cache:
            self.cache["snapshot"] = read_snapshot(self.batch_id)
        return self.cache["snapshot"]

    def media_detail(self) -> dict[int, list[dict]]:
        """Read again only when media, records or verifications changed (a refused step changes none)."""
        snap = self.snapshot()
        key = (snap["media"], snap["rows"][:2])
        if self.media_read is None or self.media_read[0] != key:
            self.media_read = (key, media_from_db())
        return self.media_read[1]

    def step(self, who: str, action: str, url: str, body=None, *, device_id: int | None = None,
             allowed: list[str] | None = None, no_op=lambda out: False):
        """Take one step; check what a success must have done, or that a refusal did nothing and says why.

        allowed: the moves /transitions offered `who` on the device just before (None: not asked).
        no_op: says whether a 2xx answer reports that there was nothing to do (withdrawing a unit never in stock)."""
        before = self.snapshot()
        status, out = self.api(who, "POST", url, body)
        after = self.snapshot()
        if status in (200, 201) and no_op(out):
            assert after == before, f"{action} answered {out} but changed the database"
            return None
        if status in (200, 201):
            assert after["custody"][0] > before["custody"][0], f"{action} succeeded without a custody event"
            if device_id is not None:
                assert after["devices"][device_id][1] > before["devices"][device_id][1], \
                    f"{action} changed device {device_id} without bumping its version"
                # The API offers what it enforces: a step that went through was on the list of moves.
                if allowed is not None:
                    assert action in allowed, f"{action} went through but /transitions offered only {allowed}"
            return out
        assert status in (409, 422), (action, status, out)
        assert after == before, f"refused {action} ({status} {out['error']['code']}) changed the database"
        details = out["error"]["details"]
        assert isinstance(details, dict), out
        assert "needs" in details or "allowed" in details, f"{action} refused without saying what comes first: {out}"
        if allowed is not None:
            assert out["error"]["code"] != "batch_closed" or action not in allowed, \
                f"/transitions offered {action} on a device of a closed batch, and the API refused it"
        if device_id is not None and before["batch"] == "open":
            assert details.get("state") == before["devices"][device_id][0], \
                f"{action} refused naming state {details.get('state')!r}; device is {before['devices'][device_id][0]}"
        return None

    # ------------------------------------------------------------ a fresh batch per example

    @initialize(rules=policy_rules, override=st.none() | policy_overrides, lines=manifest_lines)
    def start(self, rules, override, lines):
        db.session.remove()
        empty_all_but_the_accounts()
        self.cache.clear()
        batch = Batch(organization_id=self.bench.acme_org_id, reference="PO-PROPS", device_count=len(lines))
        db.session.add(batch)
        db.session.flush()
        self.batch_id = batch.id
        for i, (category, media, tagged) in enumerate(lines):
            device = Device(batch_id=batch.id, organization_id=batch.organization_id, serial=f"SN-{i}",
                            asset_tag=f"TAG-{i}" if tagged else None, manufacturer="Dell", model="Latitude 5490",
                            category=category, manifest_row=i + 2)
            db.session.add(device)
            db.session.flush()
            self.serials[device.id] = device.serial
            self.categories[device.id] = category
            if tagged:
                self.tags[device.id] = device.asset_tag
            for m, media_type in enumerate(media):
                db.session.add(StorageMedium(device_id=device.id, serial=f"DR-{i}-{m}", media_type=media_type))
        db.session.commit()
        db.session.remove()
        status, body = self.api("admin", "PUT", f"/organizations/{self.bench.acme_org_id}/policy", {"rules": rules})
        assert status == 200, body
        self.policy = Policy.from_dict(body["effective"])
        if override:
            self.set_batch_policy(override)

    def set_batch_policy(self, override):
        status, body = self.api("admin", "PUT", f"/batches/{self.batch_id}/policy", {"rules": override})
        assert status == 200, body
        self.policy = Policy.from_dict(body["effective"])

    # ------------------------------------------------------------ what people do

    @rule(data=st.data())
    def someone_does_something(self, data):
        """Mostly a move the API offers this technician on some device, done properly; sometimes any
        move on any device with whatever input, as people do; now and then the admin steps in, or
        someone with database access edits the custody log."""
        self.steps += 1
        who = data.draw(st.sampled_from(["tech", "tech2"]), label="who")
        roll = data.draw(st.integers(0, 99), label="roll")
        if roll < 4:
            return self.receive_a_serial_on_no_manifest(data, who)
        if roll < 7:
            return self.set_batch_policy(data.draw(policy_overrides, label="batch policy"))
        if roll < 12 and self.steps > 15:   # closing early would end most sessions before the bench work
            return self.close_batch()
        if roll < 17:
            return self.tamper_with_one_event(data)
        devices = self.snapshot()["devices"]
        # Mostly a unit still on its way (so batches get finished and closed), sometimes any.
        on_the_way = sorted(d for d, (state, _) in devices.items() if state not in TERMINAL_STATES)
        device_id = data.draw(st.sampled_from(on_the_way if on_the_way and roll < 85 else sorted(devices)),
                              label="device")
        status, moves = self.api(who, "GET", f"/devices/{device_id}/transitions")
        assert status == 200 and moves["state"] == devices[device_id][0], moves
        offered = [a for a in moves["allowed"] if a in self.PERFORMERS and (a != "destroy" or roll % 10 == 0)]
        proper = roll < 80 and bool(offered)
        action = data.draw(st.sampled_from(offered if proper else sorted(self.PERFORMERS)), label="action")
        getattr(self, self.PERFORMERS[action])(data, who, device_id, moves["allowed"], proper)

    PERFORMERS = {"receive": "receive", "accept": "reconcile", "match": "reconcile", "sanitize": "sanitize",
                  "verify": "verify", "grade": "grade", "clear": "clear", "destroy": "destroy",
                  "list": "list_in_stock", "sell": "sell", "withdraw": "withdraw"}

    def receive(self, data, who, device_id, allowed, proper):
        by_tag = device_id in self.tags and data.draw(st.booleans(), label="by asset tag")
        if by_tag:
            body = {"asset_tag": self.tags[device_id]}
        else:
            serial = self.serials.get(device_id) or self.serial_of(device_id)
            body = {"serial": data.draw(st.sampled_from([serial, serial.lower()]), label="serial")}
        if data.draw(st.booleans(), label="names the batch"):
            body["batch_id"] = self.batch_id
        out = self.step(who, "receive", "/receive", body, device_id=device_id, allowed=allowed)
        if out:
            assert out["device"]["id"] == device_id and out["outcome"] == "received"

    def receive_a_serial_on_no_manifest(self, data, who):
        """Without the batch: 422 asking for it. With it: an `unexpected` unit (scanned again: a refusal)."""
        serial = data.draw(st.sampled_from(["UNK-1", "UNK-2", "UNK-3"]), label="unknown serial")
        body = {"serial": serial, "batch_id": self.batch_id if data.draw(st.booleans(), label="names the batch") else None}
        known = [d for d in self.snapshot()["devices"] if d not in self.serials and self.serial_of(d) == serial]
        if known:
            return self.step(who, "receive", "/receive", body, device_id=known[0], allowed=None)
        out = self.step(who, "receive", "/receive", body)
        if out:
            assert body["batch_id"] and out["outcome"] == "unexpected" and out["device"]["state"] == "unexpected"

    def serial_of(self, device_id: int) -> str:
        with db.engine.connect() as c:
            return c.execute(sa.select(Device.serial).where(Device.id == device_id)).scalar_one()

    def reconcile(self, data, who, device_id, allowed, proper):
        lines = sorted(self.serials)
        how = data.draw(st.sampled_from(["accept", "match"] if proper else
                                        ["accept", "match", "both", "neither", "not_a_line"]), label="reconcile")
        body = {}
        if how in ("accept", "both"):
            body["accept"] = True
        if how in ("match", "both"):
            registered = [d for d in lines if self.snapshot()["devices"][d][0] == "registered"]
            body["manifest_device_id"] = data.draw(st.sampled_from(registered if proper and registered else lines),
                                                   label="manifest line")
        if how == "not_a_line":
            body["manifest_device_id"] = device_id
        self.step(who, "accept" if how == "accept" else "match", f"/devices/{device_id}/reconcile", body,
                  device_id=device_id, allowed=allowed)

    def sanitize(self, data, who, device_id, allowed, proper):
        media = self.media_detail().get(device_id, [])
        waiting = [m for m in media if m["state"] in ("pending", "failed")]
        if proper:
            target = {"medium_id": data.draw(st.sampled_from(waiting), label="medium")["id"]} if waiting else \
                {"medium_serial": self.bench_serial(), "media_type": data.draw(st.sampled_from(MEDIA), label="type")}
            # What a technician would pick for this policy (an unknown drive only ever counts as Clear).
            method, technique = {"clear": ("purge", "crypto_erase"), "purge": ("purge", "crypto_erase"),
                                 "destroy": ("destroy", "shred")}[self.policy.minimum_method.value]
            body = {"method": method, "technique": technique,
                    "result": data.draw(st.sampled_from(["erased"] * 6 + ["erased_with_warning", "failed"]), label="result")}
        else:
            target = self.pick_medium(data, device_id)
            body = {"method": data.draw(st.sampled_from(["clear", "purge", "purge", "destroy"]), label="method"),
                    "technique": data.draw(st.sampled_from(TECHNIQUES), label="technique"),
                    "result": data.draw(st.sampled_from(["erased", "erased", "erased_with_warning", "failed"]), label="result"),
                    "hidden_areas": data.draw(st.sampled_from([None, "removed", "present"]), label="hidden areas")}
        # A drive past its failed-wipe limit may still be recorded shredded (the refusal says so): that is the
        # destroy route, which /transitions offers as "destroy".
        if body["technique"] in DESTROY_TECHNIQUES and "destroy" in allowed:
            allowed = [*allowed, "sanitize"]
        out = self.step(who, "sanitize", f"/devices/{device_id}/sanitizations",
                        {**body, "tool": "nwipe", "tool_version": "0.37", **target}, device_id=device_id,
                        allowed=None if "medium_serial" in target else allowed)
        if out:
            record = out["record"]
            assert Method(record["effective_method"]).at_least(self.policy.minimum_method), record
            assert record["operator_id"] == self.bench.user_ids[who]

    def bench_serial(self) -> str:
        self.counter += 1
        return f"BENCH-{self.counter}"

    def pick_medium(self, data, device_id: int) -> dict:
        """Which medium a careless step names: its own (by id or serial), none, a new drive, another device's."""
        media = self.snapshot()["media"]
        own = [m[0] for m in media if m[1] == device_id]
        others = [m[0] for m in media if m[1] != device_id]
        kind = data.draw(st.sampled_from(["own", "own", "none", "bench", "foreign"]), label="medium")
        if kind == "own" and own:
            return {"medium_id": data.draw(st.sampled_from(own), label="medium id")}
        if kind == "foreign" and others:
            return {"medium_id": data.draw(st.sampled_from(others), label="medium id")}
        if kind == "bench":
            return {"medium_serial": self.bench_serial(), "media_type": data.draw(st.sampled_from(MEDIA), label="type")}
        return {}

    def verify(self, data, who, device_id, allowed, proper):
        media = self.media_detail().get(device_id, [])
        wiped = [m["id"] for m in media if m["state"] == "sanitized"]
        if proper and wiped:
            target = {"medium_id": data.draw(st.sampled_from(wiped), label="medium id")}
        else:
            target = self.pick_medium(data, device_id)
            target.pop("medium_serial", None), target.pop("media_type", None)
        passed = data.draw(st.sampled_from([True] * (6 if proper else 2) + [False]), label="passed")
        out = self.step(who, "verify", f"/devices/{device_id}/verifications", {"passed": passed, **target},
                        device_id=device_id, allowed=allowed)
        if out:
            assert out["verification"]["verifier_id"] == self.bench.user_ids[who]

    def grade(self, data, who, device_id, allowed, proper):
        grade = data.draw(st.sampled_from("ABCD"), label="grade")
        self.step(who, "grade", f"/devices/{device_id}/grade", {"grade": grade}, device_id=device_id, allowed=allowed)

    def clear(self, data, who, device_id, allowed, proper):
        self.step(who, "clear", f"/devices/{device_id}/clear", device_id=device_id, allowed=allowed)

    def destroy(self, data, who, device_id, allowed, proper):
        technique = data.draw(st.sampled_from(["shred", "disintegrate"] if proper else ["shred", "overwrite"]),
                              label="technique")
        self.step(who, "destroy", f"/devices/{device_id}/destroy", {"technique": technique, "witness": "Cy"},
                  device_id=device_id, allowed=allowed)

    def list_in_stock(self, data, who, device_id, allowed, proper):
        out = self.step(who, "list", f"/devices/{device_id}/list", {"list_price": "120.00"},
                        device_id=device_id, allowed=allowed)
        if out:
            self.items[device_id] = out["id"]

    def sell(self, data, who, device_id, allowed, proper):
        if device_id not in self.items:
            return      # never listed: there is no unit in stock to sell
        self.step(who, "sell", f"/inventory/{self.items[device_id]}/sell",
                  {"price": "99.00", "currency": "EUR", "buyer_reference": "B-1", "sold_on": "2026-01-02"},
                  device_id=device_id, allowed=allowed)

    def withdraw(self, data, who, device_id, allowed, proper):
        # Withdrawing is safe to repeat over a whole batch: a unit not in stock answers 200 and stays as it is.
        self.step(who, "withdraw", f"/devices/{device_id}/withdraw", {"reason": "certificate revoked"},
                  device_id=device_id, allowed=allowed, no_op=lambda out: out["outcome"] != "withdrawn")

    def close_batch(self):
        before = self.snapshot()
        status, out = self.api("admin", "POST", f"/batches/{self.batch_id}/close")
        after = self.snapshot()
        if status == 200:
            self.closed = True
            missing = {d for d, (state, _) in before["devices"].items() if state == "registered"}
            assert set(out["missing"]) == missing
            assert all(after["devices"][d][0] == "missing" for d in missing)
            return
        assert status == 409, out
        assert after == before, "a refused close changed the database"
        details = out["error"]["details"]
        assert details["state"] == before["batch"] and "needs" in details
        if before["batch"] == "open":
            unsettled = {d for d, (s, _) in before["devices"].items() if s not in SETTLED_STATES | {"registered"}}
            assert {b["device_id"] for b in details["blockers"]} == unsettled

    # ------------------------------------------------------------ tampering

    def tamper_with_one_event(self, data):
        """Edit one event behind the API's back: the database refuses; an attacker who lifts its triggers gets the
        edit in, and the check names exactly that event; then put it back."""
        column = data.draw(st.sampled_from(["actor_label", "evidence", "to_state", "created_at", "device_id",
                                            "prev_hash", "hash"]), label="tampered column")
        with db.engine.connect() as c:
            events = c.execute(sa.select(CustodyEvent).where(CustodyEvent.batch_id == self.batch_id)
                               .order_by(CustodyEvent.seq)).all()
        if not events:
            return
        target = data.draw(st.sampled_from(events), label="event")
        original = getattr(target, column)
        forge = {"actor_label": lambda v: "Mallory", "evidence": lambda v: {**(v or {}), "forged": True},
                 "to_state": lambda v: "cleared" if v != "cleared" else "destroyed",
                 "created_at": lambda v: v + timedelta(seconds=1), "device_id": lambda v: None,
                 "prev_hash": lambda v: "0" * 63 + "1", "hash": lambda v: "f" * 64}
        forged = forge[column](original)
        if forged == original:      # an event about the batch has no device to take away
            return
        self.tampered = True
        table = CustodyEvent.__table__
        self.cache.clear()
        with db.engine.connect() as c:
            try:
                c.execute(table.update().where(table.c.id == target.id).values({column: forged}))
                raise AssertionError("the database let an edit of a custody event through")
            except sa.exc.DBAPIError as exc:
                assert "append-only" in str(exc.orig)
            c.rollback()
        with db.engine.begin() as c, unguarded(c):
            c.execute(table.update().where(table.c.id == target.id).values({column: forged}))
        status, report = self.api("admin", "GET", f"/batches/{self.batch_id}/custody/verify")
        assert status == 200 and report["ok"] is False, report
        assert (report["first_bad_event_id"], report["first_bad_seq"]) == (target.id, target.seq), \
            f"edited {column} of event {target.id} (seq {target.seq}); the check named {report}"
        with db.engine.begin() as c, unguarded(c):
            c.execute(table.update().where(table.c.id == target.id).values({column: original}))
        self.cache.clear()
        self.chain_verified = None      # put back as it was: the next check must find the chain whole again

    # ------------------------------------------------------------ what must always hold

    @invariant()
    def nothing_leaves_without_a_verified_wipe_that_meets_the_policy(self):
        if self.batch_id is None:
            return
        leaving = [(d, state) for d, (state, _) in self.snapshot()["devices"].items() if state in EXIT_STATES]
        for device_id, state in leaving:
            category = self.categories.get(device_id)
            self.door.setdefault((device_id, state), self.policy)
            # Selling does not re-open the door: judge a sold unit by the policy it was listed under.
            policy = self.door.get((device_id, "in_inventory"), self.door[(device_id, state)]) \
                if state == "sold" else self.door[(device_id, state)]
            problems = exit_problems(policy.is_data_bearing(category), self.media_detail().get(device_id, []), policy)
            assert not problems, f"device {device_id} is {state} although: {problems}"
            if (device_id, state) in self.door_checked_by_api:
                continue
            self.door_checked_by_api.add((device_id, state))
            status, detail = self.api("acme", "GET", f"/devices/{device_id}")
            assert status == 200 and detail["state"] == state
            problems = exit_problems(policy.is_data_bearing(category), media_from_api(detail), policy)
            assert not problems, f"the API shows device {device_id} {state} although: {problems}"

    @invariant()
    def every_medium_is_as_good_as_its_state_says(self):
        """At any moment, not only at the door: a verified medium was verified by someone else."""
        if self.batch_id is None:
            return
        devices = self.snapshot()["devices"]
        for device_id, media in self.media_detail().items():
            for m in media:
                if devices[device_id][0] == "destroyed":
                    assert m["state"] == "destroyed", f"device {device_id} is destroyed but medium {m['id']} is {m['state']}"
                if m["state"] in ("sanitized", "verified"):
                    problems = medium_problems(m, verification_required=m["state"] == "verified")
                    assert not problems, f"medium {m['id']} is {m['state']}: {problems}"

    @invariant()
    def final_states_are_never_left(self):
        if self.batch_id is None:
            return
        devices = self.snapshot()["devices"]
        for device_id, state in self.final.items():
            assert devices[device_id][0] == state, f"device {device_id} left {state} for {devices[device_id][0]}"
        for device_id, (state, _) in devices.items():
            self.seen_states.add(state)
            if state in TERMINAL_STATES:
                self.final.setdefault(device_id, state)

    @invariant()
    def a_closed_batch_holds_only_settled_devices(self):
        if self.batch_id is None or not self.closed:
            return
        snap = self.snapshot()
        assert snap["batch"] == "closed"
        # A unit withdrawn from stock after the close (certificate revoked) waits, quarantined, for destruction.
        unsettled = {d: s for d, (s, _) in snap["devices"].items() if s not in SETTLED_STATES | {"quarantined"}}
        assert not unsettled, f"the closed batch holds unsettled devices {unsettled}"

    @invariant()
    def wipes_are_picked_for_verification_as_the_policy_says(self):
        """Sampling rules 1-2 (workflows.sampling), judged for each new wipe record under the policy in force."""
        if self.batch_id is None:
            return
        for media in self.media_detail().values():
            for m in media:
                for r in m["sanitizations"]:
                    if r["id"] in self.records_judged:
                        continue
                    self.records_judged.add(r["id"])
                    p = self.policy
                    must = p.verification == "all" or (r["effective_method"] == "clear" and p.verify_all_cleared) \
                        or draw(self.batch_id, m["id"]) < p.sample_percent / 100
                    assert r["verification_required"] or not must, f"wipe record {r['id']} escaped verification under {p}"

    @invariant()
    def the_custody_chain_verifies(self):
        if self.batch_id is None:
            return
        custody = self.snapshot()["custody"]
        if custody == self.chain_verified:
            return      # nothing appended since the last check (a refused step); tampering checks its own
        status, report = self.api("admin", "GET", f"/batches/{self.batch_id}/custody/verify")
        assert status == 200 and report["ok"] is True, report
        assert report["events"] == custody[0]
        self.chain_verified = custody

    def teardown(self):
        for state in sorted(self.seen_states):
            event(f"a device reached {state}")
        if self.closed:
            event("the batch closed")
        if self.tampered:
            event("an event was tampered with")


# ---------------------------------------------------------------- judging a medium, from the database or the API

def read_snapshot(batch_id: int) -> dict:
    """Devices (state, version), media, the custody log's length and head, row counts, the batch status."""
    with db.engine.connect() as c:
        devices = {r.id: (r.state, r.version) for r in c.execute(
            sa.select(Device.id, Device.state, Device.version).where(Device.batch_id == batch_id))}
        media = c.execute(sa.select(StorageMedium.id, StorageMedium.device_id, StorageMedium.state,
                                    StorageMedium.failed_wipes).order_by(StorageMedium.id)).all()
        # One round trip for the rest: it runs twice a step, and on PostgreSQL round trips are the cost.
        events = sa.select(CustodyEvent.id).where(CustodyEvent.batch_id == batch_id)
        row = c.execute(sa.select(
            sa.select(sa.func.count()).select_from(events.subquery()).scalar_subquery(),
            sa.select(sa.func.max(CustodyEvent.seq)).where(CustodyEvent.batch_id == batch_id).scalar_subquery(),
            sa.select(Batch.status).where(Batch.id == batch_id).scalar_subquery(),
            *(sa.select(sa.func.count()).select_from(t).scalar_subquery()
              for t in (SanitizationRecord, Verification, DeviceGrading, Destruction, InventoryItem, Sale)))).one()
    return {"devices": devices, "media": tuple(tuple(m) for m in media), "custody": (row[0], row[1]),
            "rows": tuple(row[3:]), "batch": row[2]}


def media_from_db() -> dict[int, list[dict]]:
    """{device: its media}, each with its wipe records (by attempt) and verifications (in order), shaped
    like the API's device detail so one judge reads both."""
    with db.engine.connect() as c:
        media = c.execute(sa.select(StorageMedium.id, StorageMedium.device_id, StorageMedium.state)
                          .order_by(StorageMedium.id)).all()
        records = c.execute(sa.select(SanitizationRecord).order_by(SanitizationRecord.attempt)).all()
        checks = c.execute(sa.select(Verification).order_by(Verification.id)).all()
    fields = ("id", "result", "decision", "effective_method", "operator_id", "verification_required")
    out: dict[int, list[dict]] = {}
    for m in media:
        out.setdefault(m.device_id, []).append({
            "id": m.id, "state": m.state,
            "sanitizations": [{f: getattr(r, f) for f in fields} for r in records if r.medium_id == m.id],
            "verifications": [{"sanitization_record_id": v.sanitization_record_id, "verifier_id": v.verifier_id,
                               "result": v.result} for v in checks if v.medium_id == m.id]})
    return out


def media_from_api(detail: dict) -> list[dict]:
    return detail["media"]


def medium_problems(m: dict, verification_required: bool, policy: Policy | None = None) -> list[str]:
    if not m["sanitizations"]:
        return [f"medium {m['id']} has no wipe record"]
    last = m["sanitizations"][-1]
    problems = []
    if last["result"] != "erased" or last["decision"] == "refused":
        problems.append(f"medium {m['id']}'s last wipe was {last['result']} ({last['decision']})")
    if policy is not None and not Method(last["effective_method"]).at_least(policy.minimum_method):
        problems.append(f"medium {m['id']} was wiped by {last['effective_method']}, below {policy.minimum_method.value}")
    if verification_required:
        checks = [v for v in m["verifications"] if v["sanitization_record_id"] == last["id"]]
        if not checks or checks[-1]["result"] != "passed":
            problems.append(f"medium {m['id']}'s last wipe has no passed verification")
        elif checks[-1]["verifier_id"] == last["operator_id"]:
            problems.append(f"medium {m['id']} was verified by its own wiper")
        if m["state"] != "verified":
            problems.append(f"medium {m['id']} is {m['state']}, not verified")
    return problems


def exit_problems(data_bearing: bool, media: list[dict], policy: Policy) -> list[str]:
    if not media:
        return ["a data-bearing device has no media recorded"] if data_bearing else []
    problems = []
    for m in media:
        if m["state"] not in ("sanitized", "verified"):
            problems.append(f"medium {m['id']} is {m['state']}")
        required = policy.verification == "all" or bool(m["sanitizations"] and
                                                         m["sanitizations"][-1]["verification_required"])
        problems += medium_problems(m, required, policy)
    return problems


def test_random_bench_sessions_through_the_api_keep_every_rule(app, client, world):
    """Bounded for CI: 25 sessions of up to 30 steps, one fresh batch each (raise max_examples to dig deeper).
    Shrinking a failure takes minutes; that is only paid when something is wrong."""
    parties = {name: getattr(world, name) for name in ("tech", "tech2", "admin", "acme")}
    BenchSessions.bench = Bench(client, {n: p.token for n, p in parties.items()},
                                {n: p.user.id for n, p in parties.items()}, world.acme.org.id)
    run_state_machine_as_test(BenchSessions, settings=settings(
        max_examples=25, stateful_step_count=30, deadline=None,
        # No example database: CI runs the suite on SQLite and PostgreSQL at once in one checkout.
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]))
