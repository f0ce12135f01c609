"""`itad keys ...` and `itad certificates ...`: the operator's certificate commands."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from itad.certification import issuing, keys, verifying
from itad.errors import DomainError
from itad.jobs.progress import cli_progress
from itad.models import Batch, Device, User, db


def _run(fn):
    """One unit of work: commit on success, roll back and say why on a domain error."""
    try:
        result = fn()
        db.session.commit()
        return result
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None


def _show(key) -> str:
    state = "active" if key.active else f"retired {key.retired_at:%Y-%m-%d}" if key.retired_at else "inactive"
    return f"{key.id}\t{state}\t{key.source}\tsha256:{key.fingerprint}\t{key.subject}"


@click.group("keys", help="The certificate signing keys (private keys are stored encrypted).")
def keys_group():
    pass


def _identity_options(f):
    f = click.option("--common-name", default=None, help="CN of the certificate (default: OPERATOR_NAME).")(f)
    f = click.option("--organization", default=None, help="O of the certificate (default: OPERATOR_NAME).")(f)
    f = click.option("--days", default=3 * 365, show_default=True, type=click.IntRange(1, 20 * 365))(f)
    f = click.option("--key-type", type=click.Choice(["ec", "rsa"]), default="ec", show_default=True)(f)
    return f


def _identity(common_name, organization, days, key_type) -> dict:
    """The certificate's subject, defaulting to the operator's name."""
    default = keys.default_subject(current_app.config)
    return {"common_name": common_name or default["common_name"],
            "organization": organization or default["organization"], "days": days, "key_type": key_type}


@keys_group.command("init", help="Create the first signing key and a self-signed certificate.")
@_identity_options
@with_appcontext
def keys_init(common_name, organization, days, key_type):
    identity = _identity(common_name, organization, days, key_type)
    key = _run(lambda: keys.init_key(db.session, current_app.config, **identity))
    click.echo(f"Signing key {key.id} created and active.\n{_show(key)}")


@keys_group.command("rotate", help="Create a new signing key for new certificates; retire the old one (it still verifies).")
@_identity_options
@with_appcontext
def keys_rotate(common_name, organization, days, key_type):
    identity = _identity(common_name, organization, days, key_type)
    key = _run(lambda: keys.rotate_key(db.session, current_app.config, **identity))
    click.echo(f"Signing key {key.id} is now active; earlier keys are retired.\n{_show(key)}")


@keys_group.command("import", help="Import a key and CA-issued certificate (PEM, or PKCS#12 .p12/.pfx).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cert", "cert_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The certificate (PEM), when FILE holds only the key.")
@click.option("--password", prompt=True, hide_input=True, default="", show_default=False,
              help="Password of the PKCS#12 file or encrypted PEM key (empty if none).")
@with_appcontext
def keys_import(file, cert_file, password):
    data = file.read_bytes()
    cert = cert_file.read_bytes() if cert_file else None
    key = _run(lambda: keys.import_key(db.session, current_app.config, data, password=password.encode() or None,
                                       cert=cert))
    click.echo(f"Signing key {key.id} imported and active; earlier keys are retired.\n{_show(key)}")


@keys_group.command("list", help="Every signing key, newest last (no key material is shown).")
@with_appcontext
def keys_list():
    rows = keys.all_keys(db.session)
    if not rows:
        click.echo("No signing keys. Run 'itad keys init'.")
    for key in rows:
        click.echo(_show(key))


@click.group("certificates", help="Certificates of sanitization.")
def certificates_group():
    pass


@certificates_group.command("issue", help="Issue (or re-issue) a batch or device certificate now, in this process.")
@click.option("--batch", "batch_id", type=int, help="Batch id: the batch certificate.")
@click.option("--device", "device_id", type=int, help="Device id: a per-device certificate.")
@click.option("--by", "by_email", help="Email of the admin issuing it (printed as validator).")
@click.option("--reason", help="Why it is (re-)issued.")
@with_appcontext
def certificates_issue(batch_id, device_id, by_email, reason):
    if (batch_id is None) == (device_id is None):
        raise click.UsageError("Give --batch or --device.")
    session = db.session
    actor = None
    if by_email:
        actor = session.scalars(sa.select(User).where(User.email == by_email)).first()
        if actor is None:
            raise click.ClickException(f"No user with email {by_email}.")
    batch = session.get(Batch, batch_id) if batch_id is not None else None
    device = session.get(Device, device_id) if device_id is not None else None
    if batch is None and device is None:
        raise click.ClickException(f"No {'batch' if batch_id is not None else 'device'} with id {batch_id or device_id}.")

    def work():
        req = issuing.request_certificate(session, actor, batch=batch, device=device, reason=reason, send_job=False)
        with cli_progress(f"Issuing {req.number}", 3) as report:
            return issuing.issue(session, req.id, progress=report)

    cert = _run(work)
    status = f", supersedes certificate id {cert.supersedes_id}" if cert.supersedes_id else ""
    click.echo(f"Issued {cert.number} (id {cert.id}{status}); sha256 {cert.sha256}")


@certificates_group.command("verify", help="Is FILE a genuine, unaltered certificate of ours? Exit 1 if not.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def certificates_verify(file):
    result = verifying.verify_upload(db.session, file.read_bytes())
    click.echo(f"{result['verdict'].upper()}: {result['message']}")
    if result["reason"] and not result["genuine"]:
        click.echo(f"  {result['reason']}")
    click.echo(f"  sha256 {result['document_sha256']}")
    cert = result["certificate"]
    if cert:
        click.echo(f"  certificate {cert['number']}: {cert['status']}"
                   + (f" (superseded by {cert['superseded_by']})" if cert["superseded_by"] else "")
                   + (f" (revoked {cert['revoked_at']}: {cert['revoked_reason']})" if cert["revoked_at"] else ""))
    if not result["genuine"]:
        raise SystemExit(1)
