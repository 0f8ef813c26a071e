"""'How sure are we?' in plain words, from a PSA results folder."""

from __future__ import annotations

import math

from .captions import currency
from .formatting import money

HEADLINE = (
    ("cost_total", "cost less than {base}, counting every payer", "cost more than {base}, counting every payer"),
    ("cost_city", "cost the city less than {base}", "cost the city more than {base}"),
    ("police_hours_crisis", "free police hours on crisis calls", "take more police hours on crisis calls"),
    ("involuntary_holds", "lead to fewer involuntary holds", "lead to more involuntary holds"),
)


def _amount(metric: str, value: float, unit: str | None = None) -> str:
    if metric.startswith("cost"):
        return money(value, unit, diff=True)
    if "hours" in metric:
        return f"{value:+,.0f} h"
    return f"{value:+,.0f}"


def how_sure(psa: dict) -> list[dict]:
    """Per scenario: its label and plain-words sentences, each with the share of draws and the interval."""
    m = psa["manifest"]
    labels = {s["name"]: s["label"] for s in m["scenarios"]}
    base = labels.get(m["baseline"], m["baseline"])
    per_year = 365.0 / float(m["days"])
    n = int(m["draws"])
    c = psa["psa_comparison"]
    c = c[c["team"] == ""]
    unit = currency(psa.get("scenarios") or {}, m.get("baseline"))
    out = []
    for name in dict.fromkeys(c["scenario"]):
        sentences = []
        for metric, lower, higher in HEADLINE:
            row = c[(c["scenario"] == name) & (c["metric"] == metric)]
            if row.empty or not math.isfinite(row.iloc[0]["prob_lower"]):
                continue
            r = row.iloc[0]
            p = float(r["prob_lower"])
            scale = per_year  # every headline metric is a total over the simulated days
            interval = (f"{_amount(metric, r['diff_mean'] * scale, unit)} a year on average; 95% of plausible cities "
                        f"between {_amount(metric, r['ui_low'] * scale, unit)} and "
                        f"{_amount(metric, r['ui_high'] * scale, unit)}")
            if p >= 0.5:
                text = f"In {p:.0%} of {n} plausible cities, {labels.get(name, name)} {lower.format(base=base)}"
            else:
                text = (f"In {1 - p:.0%} of {n} plausible cities, {labels.get(name, name)} "
                        f"{higher.format(base=base)}")
            sentences.append({"metric": metric, "prob_lower": p, "text": f"{text} ({interval}).", "short": text})
        out.append({"scenario": name, "label": labels.get(name, name), "sentences": sentences})
    return out


def top_driver(psa: dict, scenario: str, metric: str = "cost_total") -> tuple[str, float] | None:
    """The uncertain input with the largest rank correlation with a scenario's difference, and that correlation."""
    d = psa["drivers"]
    d = d[(d["scenario"] == scenario) & (d["metric"] == metric)].dropna(subset=["spearman"])
    if d.empty:
        return None
    r = d.loc[d["spearman"].abs().idxmax()]
    words = {i["key_path"]: i.get("label") or i["key_path"] for i in psa["manifest"]["uncertain_inputs"]}
    return words.get(r["key_path"], r["key_path"]), float(r["spearman"])
