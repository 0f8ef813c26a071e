"""Starting points for the page: the shipped response models and program cases, or given files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
"""The repository's scenarios/ folder (the package is installed from the repository)."""


@dataclass(frozen=True)
class Preset:
    """Scenarios to compare, the first one the baseline; paths relative to scenarios/."""

    title: str
    files: tuple[str, ...]
    about: str = ""

    def paths(self, root: Path = SCENARIO_DIR) -> list[Path]:
        return [root / f for f in self.files]


PRESETS = (
    Preset("Police only vs peer-embedded teams", ("police_only.yaml", "peer_embedded.yaml"),
           "The base city with police answering every crisis call, and with peer + clinician teams added."),
    Preset("The three response models", ("police_only.yaml", "co_responder.yaml", "peer_embedded.yaml"),
           "Police only, co-responder teams and peer-embedded teams in the base city (what `make demo` runs)."),
    Preset("Police only vs co-responder teams", ("police_only.yaml", "co_responder.yaml")),
    Preset("Police only vs peer-embedded + IDD peer", ("police_only.yaml", "idd_peer.yaml")),
    Preset("Hartford HEARTeam", ("programs/hartford_city.yaml", "programs/hartford_heart.yaml"),
           "A Hartford-sized city, police only and with HEARTeam."),
    Preset("Durham HEART", ("programs/durham_city.yaml", "programs/durham_heart.yaml")),
    Preset("Dallas RIGHT Care", ("programs/dallas_city.yaml", "programs/dallas_right_care.yaml")),
    Preset("Denver STAR", ("programs/denver_city.yaml", "programs/denver_star.yaml")),
    Preset("Eugene CAHOOTS", ("programs/eugene_city.yaml", "programs/eugene_cahoots.yaml")),
)


def available_presets(root: Path = SCENARIO_DIR) -> list[Preset]:
    """The presets whose files are all present (none when the package runs outside its repository)."""
    return [p for p in PRESETS if all(path.exists() for path in p.paths(root))]
