"""Captions that carry the caveats a slide must not lose.

Every run chart says where (the baseline's `city`, else its description), that the numbers
are simulated and not a forecast, how many replications and days, what a drawn interval
covers (simulation noise only, or also the inputs when the folder has PSA draws), the
currency on charts of money, and each scenario's `note`. "95% CI" appears only on charts
that draw intervals.
"""

from __future__ import annotations

from .style import CI_WORDS, caption_line

PSA_WORDS = "intervals cover uncertainty in the inputs (the draws) and simulation noise"


def _first_sentence(text: str, limit: int = 110) -> str:
    text = " ".join(str(text).split())
    end = text.find(". ")
    first = text if end < 0 else text[: end + 1]
    return first if len(first) <= limit else first[: limit - 1].rsplit(" ", 1)[0] + "…"


def place(scenarios: dict[str, dict], baseline: str | None) -> str:
    """Where the scenarios are set: the baseline's `city`, else the first sentence of its description."""
    spec = scenarios.get(baseline or "", {}) or next(iter(scenarios.values()), {}) or {}
    return (spec.get("city") or _first_sentence(spec.get("description") or "")).strip()


def currency(scenarios: dict[str, dict], baseline: str | None = None) -> str | None:
    """The currency of the run's costs (the baseline's `currency`, else any scenario's), or None."""
    ordered = [scenarios.get(baseline or "")] + list(scenarios.values())
    return next((s["currency"] for s in ordered if s and s.get("currency")), None)


def money_words(scenarios: dict[str, dict], baseline: str | None = None) -> str:
    found = currency(scenarios, baseline)
    return f"Costs in {found}." if found else "Costs in the scenario's currency units (no `currency` set)."


def notes(scenarios: dict[str, dict], labels: dict[str, str]) -> str:
    """Each scenario's `note`, named by its label."""
    return " ".join(f"{labels.get(n, n)}: {spec['note'].rstrip('.')}." for n, spec in scenarios.items()
                    if spec and spec.get("note"))


def run_caption(results, intervals: bool = True, money: bool = False, extra: str = "") -> str:
    """The caption of a chart of a saved run (or a PSA folder's scenarios, with `covers` for the draws)."""
    man = results.manifest
    names = [s["name"] for s in man.get("scenarios", [])]
    specs = {n: results.scenarios.get(n) or {} for n in names}
    parts = [extra.strip()] if extra.strip() else []
    if money:
        parts.append(money_words(specs, man.get("baseline")))
    parts.append(notes(specs, {n: results.label(n) for n in names}))
    covers = PSA_WORDS if man.get("kind") == "psa" else CI_WORDS
    return caption_line(man["replications"], man["days"], " ".join(p for p in parts if p), intervals=intervals,
                        place=place(specs, man.get("baseline")), covers=covers)


def money_unit(results) -> str:
    """" (USD)" for an axis label of money, or "" when the scenarios name no currency."""
    names = [s["name"] for s in results.manifest.get("scenarios", [])]
    found = currency({n: results.scenarios.get(n) or {} for n in names}, results.manifest.get("baseline"))
    return f" ({found})" if found else ""
