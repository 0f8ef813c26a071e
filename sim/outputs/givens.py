"""What a run takes as given and what it finds: the report's answer to "is this a finding or an input?".

A difference in holds, arrests, ED transports or linkage between a new team and police is,
in this model, the team's stated risk ratios (`effects`, its roles' effects, or its own
outcome table) applied to the calls it gets; the model contributes which calls it gets
(triage, routing, fallback when busy, who is on shift) and the time they take. Costs are
staffed hours and events times stated prices. This module turns a run's resolved scenarios
into those sentences, naming each ratio, so a reader never mistakes an input for a finding.
"""

from __future__ import annotations

from .formatting import id_words
from .results import SavedResults

EFFECT_WORDS = {
    "arrest": "arrests", "involuntary_hold": "involuntary holds", "ed_transport": "ED transports",
    "crisis_center": "crisis-centre drop-offs", "linked_to_services": "linkage to services",
    "use_of_force": "use of force", "injury": "injuries", "follow_up_contact": "follow-up contact",
    "follow_up_links": "linkage at a follow-up",
}

FOUND = ("which calls each team gets (triage, routing rules, a team busy past its wait limit or off shift "
         "passes its calls on), how long they wait and how far units drive (from their bases), how busy each "
         "team is, police hours on crisis calls, repeat crises (through who is linked to services), and the "
         "hours and events every cost multiplies")


def ratio_words(effects: dict | None) -> list[str]:
    """`linkage to services ×1.25`, one per ratio set (the report's words for risk ratios)."""
    return [f"{EFFECT_WORDS.get(k, k)} ×{v:g}" for k, v in (effects or {}).items() if v is not None]


def _team_givens(sc: dict, team_id: str, team: dict) -> list[str]:
    """The outcome inputs of one team, in words: its own table, its effects and its roles' effects."""
    parts = []
    table = team.get("outcomes") or {}
    flat = {k: v for k, v in {**table, **(table.get("default") or {})}.items() if isinstance(v, (int, float))}
    if flat:
        chances = ", ".join(f"{EFFECT_WORDS.get(k, k)} {v:.0%}" for k, v in flat.items())
        parts.append(f"its own chances instead of police's ({chances})")
    if any(table.get(level) for level in ("by_risk", "by_type", "by_type_risk")):
        parts.append("its own chances by risk or call type")
    ratios = ratio_words(team.get("effects"))
    if ratios:
        parts.append("ratios to police " + ", ".join(ratios))
    for call_type, effects in (team.get("effects_by_type") or {}).items():
        if ratio_words(effects):
            parts.append(f"on {id_words(call_type)} calls " + ", ".join(ratio_words(effects)))
    roles = sc.get("roles") or {}
    for member in team.get("members") or []:
        role = roles.get(member) or {}
        ratios = ratio_words(role.get("effects"))
        if ratios:
            parts.append(f"the {role.get('label') or member}'s " + ", ".join(ratios))
    return parts


def givens(results: SavedResults, names: list[str]) -> dict:
    """{"inputs": [sentences per scenario and team], "found": what the model itself works out}."""
    lines = []
    for name in names:
        sc = results.scenarios.get(name) or {}
        for team_id, team in (sc.get("teams") or {}).items():
            if team.get("kind") == "police":
                continue
            parts = _team_givens(sc, team_id, team)
            if parts:
                lines.append(f"{results.label(name)}, {team.get('label') or team_id}: " + "; ".join(parts) + ".")
    return {"inputs": lines, "found": FOUND}
