"""`itad snmp probe ...`: identify devices from the command line, in this process, with a progress bar.

Secrets are never echoed: give `-` (or leave a v3 key out) to be asked for it without echo, and keep
them off shell histories and process lists.
"""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from itad.discovery import probes
from itad.discovery.jobs import probe_assets
from itad.discovery.targets import TargetSpec, check_address
from itad.errors import DomainError
from itad.jobs import JobContext
from itad.jobs.progress import cli_progress
from itad.models import SnmpResult, User, db


@click.group("snmp", help="Identify network-attached assets over SNMP.")
def snmp_group():
    pass


def _secret(value: str | None, prompt: str) -> str | None:
    if value == "-":
        return click.prompt(prompt, hide_input=True)
    return value


def _addresses(addresses: tuple[str, ...], file: Path | None) -> list[str]:
    found = list(addresses)
    if file is not None:
        for line in file.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                found.append(line)
    return found


def _address_and_port(text: str, port: int) -> tuple[str, int]:
    host, sep, tail = text.rpartition(":")
    if sep and tail.isdigit():
        return host, int(tail)
    return text, port


@snmp_group.command("probe", help="Probe ADDRESS... (IPv4, optionally :PORT) and print what each device says.")
@click.argument("addresses", nargs=-1)
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A file of addresses, one per line (# starts a comment).")
@click.option("--port", type=click.IntRange(1, 65535), default=161, show_default=True)
@click.option("--version", "version", type=click.Choice(["1", "2c", "3", "v1", "v2c", "v3"]), default="2c",
              show_default=True)
@click.option("--community", help="v1/v2c community; '-' asks for it without echo.")
@click.option("--v3-user", "user", help="SNMPv3 user (implies --version 3).")
@click.option("--v3-auth-key", "auth_key", help="v3 auth key; '-' asks without echo.")
@click.option("--v3-auth-protocol", "auth_proto", default="SHA", show_default=True)
@click.option("--v3-priv-key", "priv_key", help="v3 privacy key; '-' asks without echo.")
@click.option("--v3-priv-protocol", "priv_proto", default="AES", show_default=True)
@click.option("--v3-context", "context", default="", help="v3 context name.")
@click.option("--batch", "batch_id", type=int, help="Reconcile with this batch's manifest.")
@click.option("--device", "device_id", type=int, help="The device expected at the (single) address.")
@click.option("--by", "by_email", help="Email of the operator probing (named in custody events).")
@with_appcontext
def probe_command(addresses, file, port, version, community, user, auth_key, auth_proto, priv_key, priv_proto,
                  context, batch_id, device_id, by_email):
    session = db.session
    listed = _addresses(addresses, file)
    if not listed:
        raise click.UsageError("Give at least one ADDRESS, or --file.")
    if device_id is not None and len(listed) != 1:
        raise click.UsageError("--device names the device at a single address.")
    version = "3" if user else version.removeprefix("v")
    if version == "3":
        if not user:
            raise click.UsageError("SNMPv3 needs --v3-user.")
        secret = {"user": user, "auth_key": _secret(auth_key, "v3 auth key"), "auth_proto": auth_proto,
                  "priv_key": _secret(priv_key, "v3 privacy key"), "priv_proto": priv_proto,
                  "context_name": context}
    else:
        secret = {"community": _secret(community or "-", "community")}
    actor = None
    if by_email:
        actor = session.scalars(sa.select(User).where(User.email == by_email)).first()
        if actor is None:
            raise click.ClickException(f"No user with email {by_email}.")
    try:
        specs = []
        for text in listed:
            host, host_port = _address_and_port(text, port)
            specs.append(TargetSpec(check_address(host), host_port, version, device_id, secret))
        probe, sealed = probes.request_probe(session, actor, specs, batch_id=batch_id, send_job=False)
        with cli_progress(f"Probing {len(specs)} address(es)", len(specs),
                          file=click.get_text_stream("stderr")) as report:
            summary = probe_assets(JobContext(session, on_progress=report), probe.id, sealed)
        session.commit()
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from None
    rows = session.scalars(sa.select(SnmpResult).where(SnmpResult.probe_id == probe.id)
                           .order_by(SnmpResult.position)).all()
    for row in rows:
        click.echo(describe(row))
    click.echo(f"probe {probe.id}: {summary['hosts']} host(s), {_counts(summary['statuses'])}"
               + (f"; {_counts(summary['outcomes'])}" if summary["outcomes"] else "")
               + f"; {summary['media_added']} medium(s) added")


def describe(row: SnmpResult) -> str:
    where = f"{row.address}:{row.port}"
    if row.status != "ok":
        return f"{where}\t{row.status}\t{row.error}"
    parts = [f"serial {row.chassis_serial or '-'}", f"model {row.model or '-'}",
             f"maker {row.manufacturer or '-'}", f"name {row.sys_name or '-'}"]
    if row.outcome:
        parts.append(row.outcome + (f" device {row.device_id}" if row.device_id else ""))
    if row.outcome == "mismatched":
        parts.append(f"manifest serial {row.manifest_serial}")
    added = sum(1 for m in row.media or [] if m.get("added"))
    if row.media:
        parts.append(f"{len(row.media)} data-bearing medium(s), {added} added")
    return f"{where}\tok\t" + "\t".join(parts)


def _counts(counts: dict) -> str:
    return ", ".join(f"{n} {name}" for name, n in sorted(counts.items()))
