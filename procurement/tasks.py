from celery import shared_task

from .clock import clock_jobs_run, platform_housekeeping
from .clock import clock_tick as run_clock_tick


@shared_task(name="procurement.tasks.clock_tick", ignore_result=True)
def clock_tick() -> int:
    """The beat-driven tender clock (one of the two production clocks; see run_clock)."""
    moved = run_clock_tick()
    clock_jobs_run()
    return len(moved)


@shared_task(name="procurement.tasks.housekeeping", ignore_result=True)
def housekeeping() -> dict:
    return platform_housekeeping()
