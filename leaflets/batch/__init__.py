"""`leaflets batch`: build a set, or one leaflet per CSV row, in worker processes (see ARCHITECTURE.md)."""

from .jobs import BatchJob, JobOutcome, jobs_from_data
from .report import BatchResult, write_report
from .run import run_batch
from .worker import run_job

__all__ = ["BatchJob", "BatchResult", "JobOutcome", "jobs_from_data", "run_batch", "run_job", "write_report"]
