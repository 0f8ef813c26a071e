"""Identity colours: a scenario is drawn in the colour of what it is, never of where it stands in a run.

A scenario whose teams are all police (the status quo, usually the baseline) is navy; one
that adds civilian (peer-embedded) teams is green; co-responder teams amber; both kinds
together rose. A scenario's `color:` wins, then the `color:` of its program team. The four
colours are colour-blind safe (Tol's and Okabe & Ito's palettes) and lie at clearly
different lightness (CIE L* 18, 44, 61, 77), so they stay apart printed in grey.

Two scenarios of one identity in the same run keep their colour and are told apart by a
pattern (hatch, dashes), assigned in the order of their names, so a run's order never
changes how a scenario looks.
"""

from __future__ import annotations

import zlib

IDENTITY_COLOURS = {
    "police": "#162C50",        # navy, L* 18: police only, the status quo
    "civilian": "#117733",      # green, L* 44: peer-embedded and other civilian teams
    "mixed": "#CC79A7",         # rose, L* 61: civilian and co-responder teams together
    "co_responder": "#FFB000",  # amber, L* 77: officer + clinician teams
}
IDENTITY_WORDS = {"police": "police only", "civilian": "civilian / peer teams", "mixed": "several new team kinds",
                  "co_responder": "co-responder teams"}

# Who responds to a call: segments in stacking order, their words and their ink. Each uses
# the identity of the team kind that came, so a slide's green means "peer team" everywhere.
RESPONDERS = {
    "civilian": ("Civilian / peer team alone", IDENTITY_COLOURS["civilian"], ""),
    "civilian_backup": ("Civilian / peer + police backup", IDENTITY_COLOURS["civilian"], "//"),
    "co_responder": ("Co-responder", IDENTITY_COLOURS["co_responder"], ""),
    "police": ("Police", IDENTITY_COLOURS["police"], ""),
    "phone": ("By phone, no one sent", "#D9D9D9", ""),
    "unserved": ("Unserved", "#FFFFFF", "xx"),
}
PATTERNS = ("", "//", "..", "xx", "\\\\", "oo")
DASHES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 3)))
MARKERS = ("o", "s", "^", "D", "v", "P")


def scenario_kind(spec: dict) -> str:
    """What a resolved scenario (as saved) is: police, co_responder, civilian or mixed.

    Only teams that routing sends calls to count: a follow-up-only team does not make a
    police-only city a peer one.
    """
    teams = spec.get("teams") or {}
    routed = {t for rule in spec.get("routing") or [] for t in rule.get("send", [])}
    kinds = {(teams.get(t) or {}).get("kind", "police") for t in routed} - {"police"}
    if not kinds:
        return "police"
    return kinds.pop() if len(kinds) == 1 else "mixed"


def program_team(spec: dict) -> str | None:
    """The scenario's program: the first non-police team that routing sends calls to first."""
    teams = spec.get("teams") or {}
    for rule in spec.get("routing") or []:
        for t in rule.get("send", []):
            if (teams.get(t) or {}).get("kind", "police") != "police":
                return t
    return None


def _named(colour: str) -> str:
    return IDENTITY_COLOURS.get(colour, colour)


def identity_colour(spec: dict) -> str:
    """The colour of a resolved scenario: its `color`, its program team's `color`, or its kind's."""
    if spec.get("color"):
        return _named(spec["color"])
    team = program_team(spec)
    if team is not None and (spec.get("teams", {}).get(team) or {}).get("color"):
        return _named(spec["teams"][team]["color"])
    return IDENTITY_COLOURS[scenario_kind(spec)]


def identities(specs: dict[str, dict]) -> dict[str, tuple[str, int]]:
    """(colour, variant) per scenario of one run: variant 0 is plain; siblings of one colour get 1, 2, ...

    Siblings are numbered in the order of their names (never the run's order), so adding a
    scenario to a run can give a sibling a pattern but never changes any scenario's colour.
    """
    colours = {name: identity_colour(spec or {}) for name, spec in specs.items()}
    out: dict[str, tuple[str, int]] = {}
    for colour in dict.fromkeys(colours.values()):
        siblings = sorted(n for n, c in colours.items() if c == colour)
        for i, name in enumerate(siblings):
            out[name] = (colour, i)
    return out


def stable_index(name: str, n: int) -> int:
    """A position in a palette of n fixed by the name alone (for series that are not scenarios)."""
    return zlib.crc32(name.encode()) % n
