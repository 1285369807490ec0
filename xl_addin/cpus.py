"""How many CPUs this process may run on: what decides whether work is split across threads.

A leaf module (it imports only ``os``): the command asks it before pandas is imported
(``workbook.pieces`` through ``workbook.reader_prefetch``), and the core asks it through
``core.background``.
"""

from __future__ import annotations

import os


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity where the system says, else all."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no sched_getaffinity on Windows and macOS
        return os.cpu_count() or 1
