"""Have the C allocator give big freed blocks back to the system, for a big tenant's peak.

Streaming a big tenant in allocates and frees many large blocks (a listing page as received,
the indexes and tuples rebuilt at each publish, the findings posted by the findings thread).
glibc's malloc serves blocks from 128 KiB up with their own mappings, returned to the system
when freed, but it raises that threshold to the size of each such block freed (up to 32 MiB):
after the first few publishes the big blocks came from the heap, and the holes they left
between long-lived objects stayed in the process. With the threshold pinned, the fleet
tenant streamed into the dashboard in process (as benchmarks/dashboard.py --fleet, without
latency) peaked at 342 MB RSS instead of 358, and settled at 312 instead of 358. Elsewhere
than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["return_big_blocks_to_the_system"]

# mallopt(3) parameters (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value, kept from rising


def return_big_blocks_to_the_system() -> None:
    """Pin glibc's mmap threshold (see the module's docstring); a no-op where the C library
    has no ``mallopt`` or refuses the setting."""
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process already runs on
    except (OSError, AttributeError):
        return  # no mallopt here (not glibc): nothing to tune
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
