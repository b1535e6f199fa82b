"""The heap cap of a piiscan process (worker pool child, API).

Every input is hostile: a decoder that asks for gigabytes must fail inside this process as a
``MemoryError`` (which the scan boundary and the preview pool turn into typed outcomes) rather than
push the host into swap or the kernel's OOM killer. ``RLIMIT_DATA`` covers the heap and anonymous
mappings, which is where decoders allocate, and not the shared libraries' text.
"""

from __future__ import annotations

import logging
import resource

log = logging.getLogger(__name__)


def cap_memory(limit_mb: int, who: str) -> bool:
    """Lower this process's ``RLIMIT_DATA`` to ``limit_mb`` (0: leave it); whether a cap is in force."""
    if not limit_mb:
        return False
    limit = limit_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))
    except (ValueError, OSError) as exc:
        log.warning("could not cap %s memory at %d MB (%s)", who, limit_mb, type(exc).__name__)
        return False
    return True
