"""PNG charts of a timetable (matplotlib, Agg backend): the week grid and clinicians' load.

Figures are built with `matplotlib.figure.Figure` directly, never through pyplot, so no
global state or display is involved. Colours follow the session types, as in the HTML view.
"""

from __future__ import annotations

import io
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..domain import Instance, Timetable
from ..export.common import (
    lane_label,
    room_name,
    telehealth_lanes,
    text_colour,
    type_colours,
)
from ..io import write_files_atomic
from ..times import DAY_NAMES, format_hhmm

WEEK_GRID_FILE = "week_grid.png"
CLINICIAN_LOAD_FILE = "clinician_load.png"
#: Dots per inch of every chart.
DPI = 100
#: Width of both charts, in inches.
WIDTH_INCHES = 16.0
#: Height of the clinician-load chart, in inches.
LOAD_HEIGHT_INCHES = 9.0
#: Colours of the days in the clinician-load chart (Monday first).
DAY_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3")


def legend_if_labelled(axes: Any, **options: Any) -> None:
    """Draw the legend only when something is labelled (else matplotlib warns on stderr)."""
    if axes.get_legend_handles_labels()[0]:
        axes.legend(**options)


def week_grid_height(instance: Instance, timetable: Timetable) -> float:
    """Height in inches of the week grid: at least 9, plus 0.6 per day and 0.3 per bar row."""
    rows, _ = _rows(instance, timetable)
    return _grid_height(instance, rows)


def _grid_height(instance: Instance, rows: dict[str, list[tuple[str | None, int]]]) -> float:
    return max(9.0, 1.5 + sum(_panel_height(len(rows[day])) for day in instance.days))


def _panel_height(rows: int) -> float:
    """Height in inches of one day's panel of the week grid."""
    return 0.6 + 0.3 * rows


def _rows(
    instance: Instance, timetable: Timetable
) -> tuple[dict[str, list[tuple[str | None, int]]], dict[str, int]]:
    """Each day's bar rows (every room, then telehealth lanes), and each session's lane.

    Sessions without a room may run at the same time, so a day has one telehealth row per
    lane of `roomless_lanes` (at least one): concurrent sessions get rows of their own.
    """
    lanes, shown = telehealth_lanes(timetable.sessions, instance.days)
    rows: dict[str, list[tuple[str | None, int]]] = {}
    for day in instance.days:
        rows[day] = [(r.id, 0) for r in instance.rooms]
        rows[day].extend((None, lane) for lane in range(shown[day]))
    return rows, lanes


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure)
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def week_grid_figure(instance: Instance, timetable: Timetable) -> Figure:
    """One panel per day: rooms down the side, time across, a coloured bar per session.

    Telehealth sessions at the same time are drawn on rows of their own ("Telehealth",
    "Telehealth 2", ...), as many as that day needs.
    """
    rows, lanes = _rows(instance, timetable)
    height = _grid_height(instance, rows)
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")
    ratios = [_panel_height(len(rows[day])) for day in instance.days]
    axes = figure.subplots(
        len(instance.days), 1, sharex=True, squeeze=False, height_ratios=ratios
    )[:, 0]
    colours = type_colours(instance)
    for ax, day in zip(axes, instance.days, strict=True):
        places = rows[day]
        row_of = {place: i for i, place in enumerate(places)}
        labels = [lane_label(room_name(instance, p), lane) for p, lane in places]
        day_sessions = [s for s in timetable.sessions if s.day == day]
        minutes = sum(s.end - s.start for s in day_sessions)
        ax.set_title(
            f"{DAY_NAMES[day]} — {len(day_sessions)} sessions, {minutes / 60:g} staff hours",
            loc="left",
            fontsize=10,
            fontweight="bold",
        )
        for s in day_sessions:
            row = row_of[(s.room, lanes.get(s.id, 0))]
            colour = colours[s.type]
            ax.barh(
                row, s.end - s.start, left=s.start, height=0.8, color=colour,
                edgecolor="white", linewidth=0.8,
            )  # fmt: skip
            stype = instance.type_by_id[s.type]
            who = f"{s.clinician or '-'} · {len(s.clients)}"
            # A bar shorter than an hour has room for the leader and size only.
            label = f"{stype.title}\n{who}" if s.end - s.start >= 60 else who
            ax.text(
                (s.start + s.end) / 2, row, label,
                ha="center", va="center", fontsize=6.5, color=text_colour(colour), clip_on=True,
            )  # fmt: skip
        ax.set_yticks(range(len(places)), labels, fontsize=8)
        ax.set_ylim(len(places) - 0.5, -0.5)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    hours = range(instance.open - instance.open % 60, instance.close + 1, 60)
    last = axes[-1]
    last.set_xlim(instance.open, instance.close)
    last.set_xticks(list(hours), [format_hhmm(h) for h in hours], fontsize=8)
    handles = [
        Patch(facecolor=colours[t.id], label=f"{t.title} ({t.kind})")
        for t in instance.session_types
    ]
    figure.legend(
        handles=handles, loc="outside upper center", ncols=min(len(handles), 5), fontsize=8,
        title=f"{instance.name or 'IOP'}: week by room (label: type, leader · clients)",
        title_fontsize=10, frameon=False,
    )  # fmt: skip
    return figure


def clinician_load_figure(instance: Instance, timetable: Timetable) -> Figure:
    """Hours each clinician leads: per day (grouped bars) and per week by session type."""
    figure = Figure(figsize=(WIDTH_INCHES, LOAD_HEIGHT_INCHES), dpi=DPI, layout="constrained")
    by_day, by_type = figure.subplots(2, 1)
    clinicians = instance.clinicians
    names = [f"{c.name or c.id}\n{c.discipline.replace('_', ' ')}" for c in clinicians]
    day_hours: dict[tuple[str, str], float] = defaultdict(float)
    type_hours: dict[tuple[str, str], float] = defaultdict(float)
    for s in timetable.sessions:
        if s.clinician:
            day_hours[(s.clinician, s.day)] += (s.end - s.start) / 60
            type_hours[(s.clinician, s.type)] += (s.end - s.start) / 60
    days = instance.days
    width = 0.8 / len(days)
    for i, day in enumerate(days):
        xs = [k + (i - (len(days) - 1) / 2) * width for k in range(len(clinicians))]
        values = [day_hours[(c.id, day)] for c in clinicians]
        by_day.bar(xs, values, width=width, color=DAY_COLOURS[i % len(DAY_COLOURS)],
                   label=DAY_NAMES[day])  # fmt: skip
    for k, clin in enumerate(clinicians):
        if clin.max_hours_per_day is not None:
            by_day.hlines(clin.max_hours_per_day, k - 0.42, k + 0.42, colors="#333333",
                          linestyles="dashed", linewidth=1)  # fmt: skip
    by_day.set_xticks(range(len(clinicians)), names, fontsize=8)
    by_day.set_ylabel("hours led per day")
    by_day.set_title("Hours led per day (dashed: the clinician's daily maximum)", loc="left",
                     fontsize=10, fontweight="bold")  # fmt: skip
    legend_if_labelled(by_day, ncols=len(days), fontsize=8, loc="upper right")
    by_day.grid(axis="y", color="#dddddd", linewidth=0.6)
    by_day.set_axisbelow(True)
    colours = type_colours(instance)
    bottoms = [0.0] * len(clinicians)
    for stype in instance.session_types:
        values = [type_hours[(c.id, stype.id)] for c in clinicians]
        if not any(values):
            continue
        by_type.bar(range(len(clinicians)), values, bottom=bottoms, color=colours[stype.id],
                    label=stype.title, width=0.6)  # fmt: skip
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    for k, clin in enumerate(clinicians):
        by_type.text(k, bottoms[k], f"{bottoms[k]:g} h", ha="center", va="bottom", fontsize=8)
        if clin.max_hours_per_week is not None:
            by_type.hlines(clin.max_hours_per_week, k - 0.4, k + 0.4, colors="#333333",
                           linestyles="dashed", linewidth=1)  # fmt: skip
    by_type.set_xticks(range(len(clinicians)), names, fontsize=8)
    by_type.set_ylabel("hours led this week")
    by_type.set_title(
        "Hours led this week by session type (dashed: the clinician's weekly maximum)",
        loc="left", fontsize=10, fontweight="bold",
    )  # fmt: skip
    legend_if_labelled(by_type, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    by_type.grid(axis="y", color="#dddddd", linewidth=0.6)
    by_type.set_axisbelow(True)
    for ax in (by_day, by_type):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return figure


def write_plots(
    instance: Instance, timetable: Timetable, folder: str | os.PathLike[str]
) -> list[Path]:
    """Write ``week_grid.png`` and ``clinician_load.png`` into ``folder``; return their paths.

    Both are drawn, and both targets checked, before either is replaced
    (`write_files_atomic`), so an error leaves the folder as it was.
    """
    files = {
        WEEK_GRID_FILE: _png(week_grid_figure(instance, timetable)),
        CLINICIAN_LOAD_FILE: _png(clinician_load_figure(instance, timetable)),
    }
    return write_files_atomic(folder, files)
