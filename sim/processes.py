"""Child processes a command starts (replication workers, chart helpers) end with it."""

from __future__ import annotations

import os
import signal


def die_with_parent(parent: int) -> None:
    """Let the kernel end this process when its parent ends (Linux's PR_SET_PDEATHSIG), so no
    worker or helper outlives a command that was killed outright; call it first thing in the child,
    with the parent's pid taken before the fork."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent ended before that took effect
        os._exit(1)
