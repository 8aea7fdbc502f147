"""What a batch run did, job by job: the summary lines and the JSON report (never a personal detail)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import OutputError
from ..listing import table
from ..writers import write_atomic
from .jobs import BatchJob


@dataclass
class JobRecord:
    """One job's fate in this run, for the summary, the report and the cache."""

    job: BatchJob
    status: str = "pending"
    key: str | None = None
    seconds: float = 0.0
    error: str | None = None
    worker: int | None = None
    worker_task: int | None = None
    peak_rss_kb: int | None = None
    rss_kb: int | None = None
    weight: float = 1.0
    finished: float | None = None

    def as_json(self) -> dict[str, Any]:
        job = self.job
        return {
            "output": job.outputs[0],
            "files": list(job.outputs),
            "leaflet": job.leaflet,
            "variant": job.variant,
            "paper": job.paper,
            "lang": job.language,
            "row": job.row,
            "status": self.status,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "worker": self.worker,
            "worker_task": self.worker_task,
            "peak_rss_mb": _mb(self.peak_rss_kb),
            "rss_mb": _mb(self.rss_kb),
            "finished_after": None if self.finished is None else round(self.finished, 3),
        }


def _mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


@dataclass
class BatchResult:
    """Everything a batch run did, for the CLI's table, the JSON report and tests."""

    set_id: str
    out_dir: Path
    records: list[JobRecord]
    seconds: float = 0.0
    workers: int = 0
    pool_started: bool = False
    interrupted: bool = False
    personalised: bool = False
    report_path: Path | None = None

    def count(self, status: str) -> int:
        return sum(1 for r in self.records if r.status == status)

    @property
    def built(self) -> list[JobRecord]:
        return [r for r in self.records if r.status == "built"]


    @property
    def failed(self) -> list[JobRecord]:
        return [r for r in self.records if r.status == "failed"]

    @property
    def exit_code(self) -> int:
        """130 after Ctrl-C, 1 if any leaflet failed, else 0."""
        if self.interrupted:
            return 130
        return 1 if self.failed else 0

    def summary(self) -> str:
        """The final table and where the files are."""
        headers = ["Built", "Skipped", "Failed"] + (["Stopped"] if self.interrupted else []) + ["Seconds"]
        row = [str(self.count("built")), str(self.count("skipped")), str(self.count("failed"))]
        if self.interrupted:
            row.append(str(self.count("stopped")))
        row.append(f"{self.seconds:.1f}")
        lines = [table(headers, [row]), f"Output folder: {self.out_dir}"]
        if self.report_path is not None:
            lines.append(f"Report: {self.report_path}")
        return "\n".join(lines)

    def failure_lines(self) -> list[str]:
        """One line per failed job: the leaflet (or CSV row) and the reason."""
        return [f"Failed: {r.job.label}: {r.error}" for r in self.failed]

    def finished_lines(self) -> list[str]:
        """After Ctrl-C: the files that were finished and are complete."""
        files = [name for r in self.built for name in r.job.outputs]
        head = f"Stopped: {len(self.built)} of {len(self.records)} jobs finished before the stop"
        head += "; the rest build on the next run." if self.count("stopped") else "."
        return [head, *(f"Finished {self.out_dir / name}" for name in files)]

    def report(self) -> dict[str, Any]:
        totals = {status: self.count(status) for status in ("built", "skipped", "failed", "stopped")}
        return {
            "generator": f"leaflets {__version__}",
            "set": self.set_id,
            "output_folder": str(self.out_dir),
            "personalised": self.personalised,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "interrupted": self.interrupted,
            "workers": self.workers,
            "pool_started": self.pool_started,
            "totals": {"jobs": len(self.records), **totals, "seconds": round(self.seconds, 3)},
            "jobs": [r.as_json() for r in self.records],
        }


def check_report_path(report_path: Path) -> Path:
    parent = report_path.parent if str(report_path.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{report_path}: the folder {parent} does not exist; create it or choose another --report")
    if report_path.is_dir():
        raise OutputError(f"{report_path}: is a folder; --report needs a file name such as report.json")
    return report_path


def write_report(result: BatchResult, path: Path) -> Path:
    """Write the JSON report atomically: per job output, leaflet, variant, paper, status, seconds, error."""
    data = json.dumps(result.report(), indent=2, ensure_ascii=False) + "\n"
    return write_atomic(path, data.encode("utf-8"), personal=False)  # no details: tested
