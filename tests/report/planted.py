"""A cohort with a planted disparity: every mentor learns by experimenting, and the eight
mentees from the "south" region are all theorists, whom the rules never pair with an
experimenting mentor. The south is paired at 0%, the north at nearly 100%."""

from __future__ import annotations

import json
from pathlib import Path

from tests.report.conftest import EXAMPLE


def planted_cohort(where: Path) -> Path:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    mentees = [p for p in data["participants"] if p["role"] == "mentee"]
    for person in data["participants"]:
        if person["role"] == "mentor":
            person["learning_style"] = "activist"
    for i, person in enumerate(mentees):
        south = i % 3 == 0
        person["protected"] = {**person.get("protected", {}),
                               "region": "south" if south else "north"}
        if south:
            person["learning_style"] = "theorist"
        elif person["learning_style"] == "theorist":
            person["learning_style"] = "pragmatist"
    path = where / "planted.json"
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path
