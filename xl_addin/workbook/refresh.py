"""Headless refresh and check of a workbook file: the one refresh (``xl_addin.refresh``) with the
file adapters (``file_book.FileSource`` / ``FileTarget``). The ribbon runs the same refresh
with the live-Excel adapters."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..core.result import TierResult
from ..refresh import CheckReport, ProgressFn, RefreshOutcome, check, refresh
from .file_book import FileSource, FileTarget

__all__ = ["CheckReport", "check_workbook", "refresh_file", "refresh_workbook"]


def _no_progress(step: str) -> None:
    pass


def refresh_file(
    path: str | Path, *, out: str | Path | None = None, as_of: dt.date | None = None,
    language: str | None = None, force: bool = False, progress: ProgressFn = _no_progress,
) -> RefreshOutcome:
    """Refresh ``path`` in place (or write the refreshed copy to ``out``). Nothing is written
    when reading or computing fails, or when the user's objects on our sheets would be lost
    (unless ``force``); the write itself is atomic."""
    with FileSource(path) as source:
        return refresh(source, FileTarget(path, out), as_of=as_of, language=language,
                       force=force, progress=progress)


def refresh_workbook(
    path: str | Path, *, out: str | Path | None = None, as_of: dt.date | None = None,
    language: str | None = None, force: bool = False, progress: ProgressFn = _no_progress,
) -> TierResult:
    """``refresh_file`` returning only the core's result."""
    return refresh_file(path, out=out, as_of=as_of, language=language, force=force,
                        progress=progress).result


def check_workbook(path: str | Path, *, force: bool = False) -> CheckReport:
    """Validate ``path`` exactly as a refresh (with ``force``) would, writing nothing."""
    with FileSource(path) as source:
        return check(source, FileTarget(path), force=force)
