"""Background jobs on RQ: plain functions bound to named queues, sent after commit.

    from itad.jobs import job, enqueue, JobContext

    @job("imports")
    def import_batch(ctx: JobContext, upload_id: int) -> dict:
        ctx.progress(done, total)
        return {"batch_id": 42, "links": {"batch": "/api/v1/batches/42"}}

    job_row = enqueue(session, import_batch, upload_id=7, organization_id=org.id, created_by_id=user.id)

Without REDIS_URL the job runs in-process right after the commit; with it, an
``itad worker`` runs it. Either way the Job row tells state, progress and result.
"""

from itad.jobs import progress
from itad.jobs.context import JobContext
from itad.jobs.dispatch import enqueue
from itad.jobs.registry import QUEUES, job

__all__ = ["job", "enqueue", "progress", "JobContext", "QUEUES"]
