"""Which functions are jobs, and which named queue each one runs on.

A job is a plain function ``fn(ctx, **ids)``; ``@job("imports")`` records it under
its dotted name, which is what a Job row stores in ``kind``. A worker that meets a
kind it has not imported yet imports the module named by the kind, so job modules
need no central list.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

QUEUES = ("default", "imports", "certificates", "snmp")


class UnknownJob(LookupError):
    pass


@dataclass(frozen=True)
class JobSpec:
    kind: str
    queue: str
    func: Callable
    # None: the app's JOB_TIMEOUT / JOB_RETRIES.
    timeout: int | None = None
    retries: int | None = None


_registry: dict[str, JobSpec] = {}


def kind_of(func: Callable) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def job(queue: str = "default", *, timeout: int | None = None, retries: int | None = None) -> Callable:
    """Bind a function to a named queue. The function is returned unchanged, so it
    can still be called directly (from a CLI command or a test) with a JobContext."""
    if queue not in QUEUES:
        raise ValueError(f"Unknown queue {queue!r}; the queues are {', '.join(QUEUES)}.")

    def register(func: Callable) -> Callable:
        spec = JobSpec(kind_of(func), queue, func, timeout, retries)
        _registry[spec.kind] = spec
        func.job_spec = spec
        return func

    return register


def spec_for(func: Callable) -> JobSpec:
    spec = getattr(func, "job_spec", None)
    if spec is None:
        raise UnknownJob(f"{kind_of(func)} is not a job: decorate it with @job(queue).")
    return spec


def lookup(kind: str) -> JobSpec:
    if kind not in _registry:
        module, _, _ = kind.rpartition(".")
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise UnknownJob(f"No job named {kind}: its module cannot be imported ({exc}).") from exc
    try:
        return _registry[kind]
    except KeyError:
        raise UnknownJob(f"No job named {kind}: the module has no @job function by that name.") from None
