"""The answer in plain words, from the report's headline rows (so the numbers read the same)."""

from __future__ import annotations


def _lower(words: str) -> str:
    return words[:1].lower() + words[1:]


def summary_markdown(rows: list[dict], labels: list[str], baseline: str) -> str:
    """Nested Markdown bullets, one scenario at a time against the baseline: each difference whose
    95% CI excludes zero on its own line, then the measures where no difference can be told apart
    from simulation noise."""
    out = []
    for j, label in enumerate(labels):
        if label == baseline:
            continue
        cells = [(row["words"], row["cells"][j]) for row in rows if row["cells"][j].change]
        clear = [f"{words}: **{c.change}** (95% CI {c.change_interval})" for words, c in cells if c.clear]
        unclear = [_lower(words) for words, c in cells if not c.clear]
        out.append(f"- **{label}** compared with {baseline}:")
        out += [f"    - {line}" for line in clear] or ["    - no difference clear of simulation noise"]
        if unclear:
            out.append(f"    - no clear difference in {', '.join(unclear)}")
    return "\n".join(out)
