"""The report of a probabilistic sensitivity analysis: it leads with "How sure are we?" in plain words."""

from __future__ import annotations

from pathlib import Path

from .pages import chart_summary, png_src, render_page, write_page
from .psa_plots import PSA_CHARTS, draw_psa
from .psa_results import load_psa
from .psa_words import how_sure, top_driver


def _dist_words(d: dict) -> str:
    kind = d.get("dist")
    if kind == "uniform":
        return f"uniform {d['low']:g} to {d['high']:g}"
    if kind == "triangular":
        return f"triangular {d['low']:g}, most likely {d['mode']:g}, up to {d['high']:g}"
    if kind in ("beta", "lognormal", "gamma"):
        return f"{kind}, mean {d['mean']:g}, sd {d['sd']:g}"
    if kind == "constant":
        return f"fixed at {d['value']:g}"
    if kind == "exponential":
        return f"exponential, mean {d['mean']:g}"
    return ", ".join(f"{k} {v}" for k, v in d.items())


def render_psa_report(psa: dict) -> str:
    man = psa["manifest"]
    labels = {s["name"]: s["label"] for s in man["scenarios"]}
    findings = how_sure(psa)
    for entry in findings:
        driver = top_driver(psa, entry["scenario"])
        entry["driver"] = None if driver is None else {"input": driver[0], "rho": f"{driver[1]:+.2f}"}
    charts = []
    for stem, title, draw in PSA_CHARTS:
        png = psa["folder"] / "figures" / f"{stem}.png"
        if png.exists():
            charts.append({"title": title, "what": chart_summary(draw),
                           "src": png_src(png)})
    inputs = [{"key": i["key_path"], "label": i.get("label") or i["key_path"], "dist": _dist_words(i["distribution"]),
               "scenarios": ", ".join(labels.get(s, s) for s in i["scenarios"])} for i in man["uncertain_inputs"]]
    return render_page(
        "psa_report.html.j2",
        manifest=man, labels=list(labels.values()), baseline_label=labels.get(man["baseline"], man["baseline"]),
        findings=findings, charts=charts, inputs=inputs, days=float(man["days"]))


def write_psa_report(folder: str | Path, style: str = "talk") -> Path:
    """Write `<folder>/report.html` for a PSA folder, drawing its charts first if any is missing."""
    folder = Path(folder)
    if any(not (folder / "figures" / f"{stem}.png").exists() for stem, _, _ in PSA_CHARTS[:2]):
        draw_psa(folder, style=style)
    return write_page(folder, render_psa_report(load_psa(folder)))
