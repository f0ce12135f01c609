"""``itad intake import FILE --org SLUG --reference PO``: register an asset list from a shell.

The same service as the API, in one transaction committed at the end; a progress bar follows
the rows as they are written.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from itad import accounts
from itad.errors import DomainError
from itad.models import db


@click.group("intake", help="Batch intake: register clients' asset lists.")
def intake_group():
    pass


@intake_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--org", "org_slug", required=True, help="the client organization (slug or id)")
@click.option("--reference", required=True, help="the client's PO or ticket number")
@click.option("--user", "user_email", help="record this user as the one who registered it")
@with_appcontext
def import_command(file: Path, org_slug: str, reference: str, user_email: str | None):
    from itad.intake import service

    data = file.read_bytes()
    try:
        organization = accounts.find_organization(db.session, org_slug)
        if organization.is_operator:
            raise click.ClickException("Batches are registered for a client organization, not the operator.")
        actor = accounts.find_user(db.session, user_email) if user_email else None
        total = max(service.estimate_rows(data) - 1, 1)
        with click.progressbar(length=total, label=f"Registering {file.name}", show_pos=True) as bar:
            def progress(done: int, _total: int | None) -> None:
                bar.update(min(done, total) - bar.pos)

            registration = service.register_batch(
                db.session, organization=organization, actor=actor, reference=reference, data=data,
                filename=file.name, max_rows=current_app.config["INTAKE_MAX_ROWS"], progress=progress,
            )
            bar.update(total - bar.pos)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        _explain(exc)
    batch = registration.batch
    verb = "registered" if registration.created else "already registered as"
    click.echo(f"{verb} batch {batch.id} for {organization.slug}: {registration.rows} devices, "
               f"{registration.media} storage media (reference {batch.reference})")


def _explain(exc: DomainError):
    lines = [exc.message]
    details = exc.details if isinstance(exc.details, dict) else {}
    for p in details.get("problems", [])[:50]:
        lines.append(f"  row {p['row']}, {p['column']}: {p['message']}")
    shown = len(details.get("problems", []))
    if details.get("problem_count", shown) > min(shown, 50):
        lines.append(f"  ... {details.get('problem_count', shown) - min(shown, 50)} more")
    raise click.ClickException("\n".join(lines))
