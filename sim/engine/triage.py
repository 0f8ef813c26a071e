"""Triage at intake: the risk a dispatcher codes and whether a crisis call is recognised as one.

Both come from the call's own uniforms (streams `call.coded_risk` and `call.recognised`), so
the same call is coded the same way in every scenario with the same triage.
"""

from __future__ import annotations

import numpy as np

from ..scenario.triage import Triage


def code_calls(triage: Triage | None, call_type: np.ndarray, risk: np.ndarray, type_names: list[str],
               u_coded: np.ndarray | None, u_recognised: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(coded risk, recognised) for every call; without triage the coded risk is the true one."""
    if triage is None:
        return risk.copy(), np.ones(len(risk), dtype=bool)
    cum = np.cumsum(np.asarray(triage.matrix()), axis=1)
    cum[:, -1] = 1.0 + 1e-12
    coded = np.empty_like(risk)
    for true in range(3):
        mask = risk == true
        coded[mask] = np.searchsorted(cum[true], u_coded[mask], side="right")
    share = np.array([triage.recognised.get(t, 1.0) for t in type_names])
    recognised = u_recognised < share[call_type]
    return coded, recognised
