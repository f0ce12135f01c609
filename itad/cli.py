"""The ``itad`` command: Flask's CLI (run, db, shell) plus the operator's commands.

Every command runs inside the app with its configuration, and commits once at
the end of its unit of work.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from itad import accounts
from itad.errors import DomainError
from itad.models import db


def main() -> None:
    from itad import create_app

    FlaskGroup(create_app=lambda: create_app(), help="ITAD workflow server.")(prog_name="itad")


def _fail(exc: DomainError):
    raise click.ClickException(exc.message)


@click.group("org", help="Organizations (clients and the operator).")
def org_group():
    pass


@org_group.command("create")
@click.argument("name")
@click.option("--kind", type=click.Choice(["client", "operator"]), default="client", show_default=True)
@click.option("--slug")
@with_appcontext
def org_create(name, kind, slug):
    try:
        org = accounts.create_organization(db.session, name, kind=kind, slug=slug)
        db.session.commit()
    except DomainError as exc:
        _fail(exc)
    click.echo(f"organization {org.id} {org.slug} ({org.kind})")


@click.group("user", help="Users: client staff, technicians, admins.")
def user_group():
    pass


@user_group.command("create")
@click.argument("email")
@click.option("--org", "org_slug", required=True, help="organization slug or id")
@click.option("--role", type=click.Choice(["client", "technician", "admin"]), required=True)
@click.option("--name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@with_appcontext
def user_create(email, org_slug, role, name, password):
    try:
        org = accounts.find_organization(db.session, org_slug)
        user = accounts.create_user(db.session, org, email, name, role, password)
        db.session.commit()
    except DomainError as exc:
        _fail(exc)
    click.echo(f"user {user.id} {user.email} ({user.role}, {org.slug})")


@click.group("token", help="API tokens.")
def token_group():
    pass


@token_group.command("create")
@click.argument("email")
@click.option("--name", default="cli", show_default=True)
@with_appcontext
def token_create(email, name):
    try:
        user = accounts.find_user(db.session, email)
        _, plain = accounts.create_token(db.session, user, name)
        db.session.commit()
    except DomainError as exc:
        _fail(exc)
    click.echo(plain)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@with_appcontext
def token_revoke(token_id):
    from itad.auth.tokens import revoke_token
    from itad.models import ApiToken

    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"No token with id {token_id}.")
    revoke_token(db.session, token)
    db.session.commit()
    click.echo(f"token {token_id} revoked")


@click.command("demo", help="Seed a demo client, technicians and an admin; print how to sign in.")
@with_appcontext
def demo():
    from itad.demo import seed

    lines = seed(db.session, current_app.config)
    db.session.commit()
    click.echo("\n".join(lines))


@click.command("worker", help="Run a background-job worker on the given queues (default: all).")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty (for tests and one-off runs).")
@with_appcontext
def worker(queues, burst):
    from itad.jobs.registry import QUEUES
    from itad.jobs.worker import NoRedis, work

    try:
        work(current_app._get_current_object(), list(queues) or list(QUEUES), burst=burst)
    except (NoRedis, ValueError) as exc:
        raise click.ClickException(str(exc))


@click.group("jobs", help="Background jobs.")
def jobs_group():
    pass


@jobs_group.command("show")
@click.argument("job_id", type=int)
@with_appcontext
def jobs_show(job_id):
    from itad.jobs.routes import job_out
    from itad.models import Job

    job = db.session.get(Job, job_id)
    if job is None:
        raise click.ClickException(f"No job with id {job_id}.")
    click.echo(job_out(job).model_dump_json(indent=2))


def register_commands(app: Flask) -> None:
    from itad.certification.commands import certificates_group, keys_group
    from itad.discovery.commands import snmp_group
    from itad.intake.commands import intake_group
    from itad.steps.audit import audit_group

    for command in (org_group, user_group, token_group, demo, worker, jobs_group, intake_group, audit_group,
                    keys_group, certificates_group, snmp_group):
        app.cli.add_command(command)


if __name__ == "__main__":
    main()
