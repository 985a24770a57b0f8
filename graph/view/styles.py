"""How the view draws each kind of node and each relation: colours (Okabe-Ito for kinds, Tableau
10 for communities), shapes, sizes on a log scale, and labels cut to a readable length."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LABEL_LENGTH = 32


@dataclass(frozen=True)
class KindStyle:
    label: str
    color: str
    border: str
    shape: str
    #: what the size of a node of this kind tells, for the legend
    size: str


#: Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), one shape each.
KIND_STYLES = {
    "trial": KindStyle("Trials", "#0072B2", "#00446b", "dot", "size: target enrolment"),
    "organization": KindStyle("Organisations", "#E69F00", "#8f6300", "diamond", "size: number of its trials"),
    "site": KindStyle("Sites", "#009E73", "#005e45", "square", "size: number of its trials"),
    "city": KindStyle("Cities (sites folded)", "#009E73", "#005e45", "square", "size: trials at its sites"),
    "condition": KindStyle(
        "Conditions", "#CC79A7", "#8a4a6e", "triangle", "size: trials of it or of a narrower condition"
    ),
    "intervention": KindStyle("Interventions", "#D55E00", "#853b00", "star", "size: number of its trials"),
    "country": KindStyle("Countries", "#8C8C8C", "#555555", "hexagon", "size: trials that recruit there"),
}
KIND_SINGULAR = {
    "trial": "trial",
    "organization": "organisation",
    "site": "site",
    "city": "city",
    "condition": "condition",
    "intervention": "intervention",
    "country": "country",
}
#: How the size of a node reads, in the legend: smallest and largest circles and their meaning.
SIZE_NOTE = "Larger means more, on a log scale: 1 trial is the smallest, 100 trials or more the largest."


#: Community colours (Tableau 10): the ten largest communities; the others are grey.
COMMUNITY_COLORS = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)  # fmt: skip
OTHER_COMMUNITY_COLOR = "#d3d7dc"


#: Edge colour, width and dashes per relation.
RELATION_STYLES: dict[str, tuple[str, float, bool]] = {
    "lead sponsor": ("#b87f00", 2.5, False),
    "collaborator": ("#e0b355", 1.5, False),
    "funder": ("#6a51a3", 1.5, False),
    "partner": ("#e0b355", 1.5, False),
    "site": ("#7fc4ac", 1.0, False),
    "condition": ("#dcaac6", 1.0, False),
    "intervention": ("#e9a57f", 1.0, False),
    "located in": ("#bdbdbd", 1.0, False),
    "broader": ("#dcaac6", 1.0, True),
}


def community_color(number: int) -> str:
    return COMMUNITY_COLORS[number - 1] if 1 <= number <= len(COMMUNITY_COLORS) else OTHER_COMMUNITY_COLOR


def node_color(fill: str, border: str) -> dict[str, Any]:
    return {
        "background": fill,
        "border": border,
        "highlight": {"background": fill, "border": "#111111"},
        "hover": {"background": fill, "border": "#111111"},
    }


def short_label(text: str) -> str:
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1].rstrip() + "…"


def node_size(data: Mapping[str, Any]) -> float:
    """Trials by enrolment, the others by their number of trials, on a log scale so that one
    1,000-site trial does not dwarf the rest."""
    if data.get("kind") == "trial":
        enrollment = data.get("enrollment")
        return 14.0 if enrollment is None else round(min(40.0, 10.0 + 2.5 * math.log2(1 + max(0, int(enrollment)))), 1)
    return round(min(36.0, 8.0 + 5.0 * math.log2(max(1, int(data.get("trials", 1))))), 1)
