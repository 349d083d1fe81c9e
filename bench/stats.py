"""Figures (a median of several runs, with min and max), the table and the JSON."""

import json
import operator
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "==": operator.eq,
}
FORMATS = {
    "s": "{:.3f} s",
    "ms": "{:.1f} ms",
    "µs": "{:.1f} µs",
    "MB": "{:.1f} MB",
    "B": "{:,.0f} B",
    "req/s": "{:,.0f} req/s",
    "jpeg/s": "{:.1f} jpeg/s",
    "x": "{:.2f}×",
    "%": "{:.0f} %",
    "count": "{:g}",
    "/s": "{:,.0f} /s",
}


@dataclass
class Figure:
    section: str
    name: str
    unit: str
    samples: list[float]
    target: tuple[str, float] | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        op, value = self.target
        return COMPARE[op](self.median, value)

    def show(self, value: float) -> str:
        return FORMATS[self.unit].format(value)

    def target_text(self) -> str:
        if self.target is None:
            return ""
        op, value = self.target
        return f"{op.replace('<=', '≤').replace('>=', '≥')} {self.show(value)}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "name": self.name,
            "unit": self.unit,
            "median": self.median,
            "min": min(self.samples),
            "max": max(self.samples),
            "runs": len(self.samples),
            "target": self.target_text() or None,
            "met": self.met,
            "note": self.note or None,
            "samples": self.samples,
        }


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        section: str,
        name: str,
        unit: str,
        samples: Iterable[float],
        target: tuple[str, float] | None = None,
        note: str = "",
    ) -> Figure:
        figure = Figure(section, name, unit, list(samples), target, note)
        if not figure.samples:
            raise ValueError(f"no samples for {section} {name}")
        self.figures.append(figure)
        return figure

    def table(self) -> str:
        header = ("", "figure", "median", "min", "max", "n", "target", "met", "")
        rows = [header]
        for f in self.figures:
            met = {None: "", True: "yes", False: "NO"}[f.met]
            rows.append(
                (
                    f.section,
                    f.name,
                    f.show(f.median),
                    f.show(min(f.samples)),
                    f.show(max(f.samples)),
                    str(len(f.samples)),
                    f.target_text(),
                    met,
                    f.note,
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        right = {2, 3, 4, 5}
        lines = []
        for number, row in enumerate(rows):
            cells = [
                cell.rjust(width) if i in right else cell.ljust(width)
                for i, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  ".join(cells).rstrip())
            if number == 0:
                lines.append("  ".join("-" * width for width in widths))
        return "\n".join(lines)

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {**self.meta, "figures": [f.as_dict() for f in self.figures]}
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (p95 of 30 values is the 29th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * fraction // 1))
    return ordered[int(rank) - 1]
