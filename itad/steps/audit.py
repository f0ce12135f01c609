"""`itad audit verify [--batch ID]`: recompute custody chains and name the first altered event;
`itad audit checkpoint`: sign the chains' heads now (cron, where no worker runs)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from itad.models import db
from itad.steps import custody


@click.group("audit", help="Check the custody log.")
def audit_group():
    pass


@audit_group.command("verify")
@click.option("--batch", "batch_id", type=int, help="only this batch (default: every batch)")
@with_appcontext
def audit_verify(batch_id):
    ids = [batch_id] if batch_id is not None else custody.batch_ids(db.session)
    broken = 0
    for bid in ids:
        report = custody.verify_batch(db.session, bid)
        if report["ok"]:
            click.echo(f"batch {bid}: ok, {report['events']} events")
        else:
            broken += 1
            click.echo(f"batch {bid}: BROKEN at event {report['first_bad_event_id']} "
                       f"(seq {report['first_bad_seq']}): {report['reason']}")
    from itad import audit_log

    log = audit_log.verify(db.session)
    if log["ok"]:
        click.echo(f"operator audit log: ok, {log['events']} events")
    else:
        broken += 1
        click.echo(f"operator audit log: BROKEN at seq {log['first_bad_seq']}: {log['reason']}")
    if broken:
        raise SystemExit(1)


@audit_group.command("checkpoint")
@with_appcontext
def audit_checkpoint():
    from itad.steps import checkpoints

    made = checkpoints.make(db.session)
    db.session.commit()
    if made is None:
        click.echo("nothing moved since the last checkpoint; it still stands")
    else:
        click.echo(f"checkpoint {made.id}: {len(made.heads)} chain head(s), Merkle root {made.merkle_root}")
