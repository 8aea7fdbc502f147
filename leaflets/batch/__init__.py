"""`leaflets batch`: build a set, or one leaflet per CSV row, in worker processes."""

from .jobs import BatchJob, BatchResult, JobOutcome, jobs_from_data, run_batch, run_job

__all__ = ["BatchJob", "BatchResult", "JobOutcome", "jobs_from_data", "run_batch", "run_job"]
