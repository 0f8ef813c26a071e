"""Giving freed memory back to the operating system.

CPython and numpy free memory to the C library's allocator, which keeps much of it for
reuse instead of returning it: after the model lets go of its draws, or the event log of its
packed chunks, the process stays as large as before and the arrays made next (tables,
metrics) come on top. `give_back()` asks glibc's `malloc_trim` to return the free pages now.
It changes no number; where the C library is not glibc it does nothing.

glibc also serves a freed large block's size from its heap thereafter (its mmap threshold
rises to the largest block freed, up to 32 MB), so a replication's jobs-long temporaries (8 MB
a million jobs) stay in the process after they are freed, until the next `give_back()`.
`big_blocks_from_the_system()` fixes the threshold at 1 MB: such blocks are mapped and unmapped,
and freeing one gives it back at once (a 2,700-day replication's peak: 405 -> 389 MB).

pandas keeps its strings in pyarrow, whose own allocator (mimalloc or jemalloc) keeps freed
memory too; `arrow_uses_malloc()` points pyarrow at the C library's allocator, so that
memory is given back alike (about 20 MB of a 2,700-day replication's tables).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_trim = _mallopt = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _trim, _mallopt = _libc.malloc_trim, _libc.mallopt
        _trim.argtypes, _trim.restype = [ctypes.c_size_t], ctypes.c_int
        _mallopt.argtypes, _mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        _trim = _mallopt = None

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter
BIG_BLOCK = 1 << 20


def give_back() -> None:
    """Return the allocator's free memory to the operating system (glibc; elsewhere a no-op)."""
    if _trim is not None:
        _trim(0)


def big_blocks_from_the_system() -> None:
    """Blocks of BIG_BLOCK bytes or more are mapped from the system and given back when freed (glibc;
    see the module's docstring). Changes no number; once per process is enough, more is harmless."""
    global _blocks_done
    if _blocks_done or _mallopt is None:
        return
    _blocks_done = True
    _mallopt(M_MMAP_THRESHOLD, BIG_BLOCK)


_blocks_done = False


def arrow_uses_malloc() -> None:
    """Let pyarrow allocate with the C library's malloc (see the module's docstring); once per process."""
    global _arrow_done
    if _arrow_done:
        return
    _arrow_done = True
    try:
        import pyarrow
    except ImportError:  # pandas without pyarrow keeps its strings as Python objects
        return
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


_arrow_done = False
