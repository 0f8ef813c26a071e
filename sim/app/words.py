"""The answer in plain words, from the report's headline rows (so the numbers read the same)."""

from __future__ import annotations


def _lower(words: str) -> str:
    return words[:1].lower() + words[1:]


def summary_lines(rows: list[dict], labels: list[str], baseline: str) -> list[str]:
    """One line per scenario other than the baseline: the differences whose 95% CI excludes zero,
    and the measures where no difference can be told apart from simulation noise."""
    lines = []
    for j, label in enumerate(labels):
        if label == baseline:
            continue
        clear, unclear = [], []
        for row in rows:
            cell = row["cells"][j]
            if not cell.change:
                continue
            if cell.clear:
                clear.append(f"{_lower(row['words'])} {cell.change} (95% CI {cell.change_interval})")
            else:
                unclear.append(_lower(row["words"]))
        text = f"{label} compared with {baseline}: "
        text += ("clear differences in " + "; ".join(clear) + ".") if clear else "no difference clear of simulation noise."
        if unclear:
            text += f" No clear difference in {', '.join(unclear)}."
        lines.append(text)
    return lines
