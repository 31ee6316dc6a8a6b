"""A self-contained HTML week view: one file, inline CSS and JS, a tab per room, clinician, client.

The page embeds the week as JSON and draws, for every room, clinician and client, a
day-by-time grid in which each session is an element ``<div class="session">`` carrying
``data-session``, ``data-type``, ``data-day``, ``data-start``, ``data-end``,
``data-entity-kind``, ``data-entity`` and ``data-lane``. Sessions without a room (telehealth)
may run at the same time, so the telehealth tab splits a day into as many lanes ("Telehealth",
"Telehealth 2", ...) as it has sessions at once (see `roomless_lanes`); every other grid has
one lane per day, unless it holds sessions at the same time (a draft that breaks rules), which
then get lanes side by side too. It loads nothing from anywhere: open it from disk, mail it,
print it (only the tab shown is printed).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..domain import Instance, ScheduledSession, Timetable
from ..io import as_instance, as_timetable, write_text_atomic
from ..times import format_hhmm, format_minutes
from .common import (
    WeekDates,
    clinician_name,
    day_label,
    lane_counts,
    overlap_lanes,
    room_name,
    roomless_label,
    sorted_sessions,
    text_colour,
    type_colours,
)


def page_data(instance: Instance, timetable: Timetable, week: WeekDates) -> dict[str, Any]:
    """The JSON the page draws from: days, types, sessions, and each tab's sessions."""
    colours = type_colours(instance)
    sessions = sorted_sessions(timetable.sessions)
    index = {s.id: i for i, s in enumerate(sessions)}
    rows = []
    for s in sessions:
        rows.append(
            {
                "id": s.id,
                "type": s.type,
                "day": s.day,
                "start": s.start,
                "end": s.end,
                "time": f"{format_hhmm(s.start)}–{format_hhmm(s.end)}",
                "clinician": s.clinician or "",
                "clinicianName": clinician_name(instance, s.clinician),
                "room": s.room or "",
                "roomName": room_name(instance, s.room),
                "size": len(s.clients),
            }
        )
    by: dict[tuple[str, str], list[ScheduledSession]] = defaultdict(list)
    for s in sessions:
        by[("room", s.room or "")].append(s)
        if s.clinician:
            by[("clinician", s.clinician)].append(s)
        for c in dict.fromkeys(s.clients):
            by[("client", c)].append(s)
    tabs: list[dict[str, Any]] = []
    telehealth_id = "telehealth"
    while telehealth_id in instance.room_by_id:
        telehealth_id += "_"

    def tab(kind: str, entity_id: str, name: str, detail: str) -> None:
        items = by.get((kind, entity_id), [])
        extra: dict[str, Any] = {}
        # Sessions at the same time get lanes of their own, side by side: telehealth ones
        # by right (its tab always has lanes), and in a draft that breaks rules a
        # double-booked clinician's, client's or room's (stacked in one cell, one hid the
        # other: found by a review).
        lanes = overlap_lanes(items)
        if (kind == "room" and not entity_id) or any(lanes.values()):
            extra = {
                "lanes": [lanes[s.id] for s in items],
                "dayLanes": lane_counts(items, lanes),
            }
        minutes = sum(s.end - s.start for s in items)
        days = len({s.day for s in items})
        summary = (
            f"{len(items)} session{'s' if len(items) != 1 else ''}, "
            f"{format_minutes(minutes) if minutes else '0 h'} on {days} day{'s' * (days != 1)}"
        )
        tabs.append(
            {
                "kind": kind,
                "id": entity_id or telehealth_id,
                "name": name,
                "detail": f"{detail} · {summary}" if detail else summary,
                "sessions": [index[s.id] for s in items],
                **extra,
            }
        )

    for room in instance.rooms:
        tab("room", room.id, room.name or room.id, f"{room.kind}, capacity {room.capacity}")
    if by.get(("room", "")):
        tab("room", "", roomless_label(instance), "sessions without a room")
    for clin in instance.clinicians:
        tab("clinician", clin.id, clin.name or clin.id, clin.discipline.replace("_", " "))
    for client in instance.clients:
        tab("client", client.id, client.name or client.id, client.track or "")
    return {
        "title": f"{instance.name or 'IOP'} — week of {week.monday.isoformat()}",
        "open": instance.open,
        "close": instance.close,
        "slot": instance.slot_minutes,
        "days": [{"id": d, "label": day_label(d, week)} for d in instance.days],
        "types": {
            t.id: {
                "name": t.title,
                "kind": t.kind,
                "colour": colours[t.id],
                "text": text_colour(colours[t.id]),
            }
            for t in instance.session_types
        },
        "sessions": rows,
        "tabs": tabs,
    }


def _script_json(data: Any) -> str:
    """JSON safe to place inside a ``<script>`` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def render_html(instance: Instance, timetable: Timetable, week: WeekDates) -> str:
    """The whole page as text."""
    data = page_data(instance, timetable, week)
    parts = {
        "TITLE": html.escape(data["title"]),
        "STYLE": _STYLE,
        "DATA": _script_json(data),
        "SCRIPT": _SCRIPT,
    }
    return re.sub(r"__(TITLE|STYLE|DATA|SCRIPT)__", lambda m: parts[m.group(1)], _PAGE)


def export_html(
    instance: Instance, timetable: Timetable, path: str | os.PathLike[str], week: WeekDates
) -> Path:
    """Write the week view to ``path`` atomically and return the path."""
    instance, timetable = as_instance(instance), as_timetable(timetable)
    write_text_atomic(path, render_html(instance, timetable, week))
    return Path(path)


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="iop-scheduler">
<title>__TITLE__</title>
<style>__STYLE__</style>
</head>
<body>
<header>
<h1>__TITLE__</h1>
<div id="legend" class="legend" aria-label="Session types"></div>
</header>
<nav id="tabs" role="tablist" aria-label="Rooms, clinicians and clients"></nav>
<main id="panels"></main>
<noscript><p>This week view draws its grids with JavaScript; please enable it.</p></noscript>
<script type="application/json" id="week-data">__DATA__</script>
<script>__SCRIPT__</script>
</body>
</html>
"""

_STYLE = """
:root { --px: 1px; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
body { margin: 0 1rem 2rem; color: #111827; background: #fff; }
h1 { font-size: 1.35rem; margin: 1rem 0 .5rem; }
h2 { font-size: 1.1rem; margin: .75rem 0 .1rem; }
.detail { color: #4b5563; margin: 0 0 .75rem; font-size: .9rem; }
.legend { display: flex; flex-wrap: wrap; gap: .35rem .9rem; font-size: .85rem; }
.legend span { display: inline-flex; align-items: center; gap: .3rem; }
.legend i { width: .9rem; height: .9rem; border-radius: 3px; display: inline-block; }
nav { position: sticky; top: 0; background: #fff; padding: .5rem 0; z-index: 5;
      border-bottom: 1px solid #e5e7eb; }
.tabgroup { display: flex; flex-wrap: wrap; gap: .25rem; align-items: center; margin: .15rem 0; }
.tabgroup b { width: 6.5rem; font-size: .8rem; text-transform: uppercase; color: #6b7280; }
.tab { border: 1px solid #d1d5db; background: #f9fafb; border-radius: 999px; cursor: pointer;
       padding: .15rem .65rem; font-size: .85rem; }
.tab[aria-selected="true"] { background: #1f2937; color: #fff; border-color: #1f2937; }
.panel[hidden] { display: none; }
.week { display: grid; position: relative; border: 1px solid #d1d5db; border-top: 0; }
.dayhead { position: sticky; top: 0; text-align: center; font-weight: 600; font-size: .85rem;
           padding: .3rem 0; background: #f3f4f6; border: 1px solid #d1d5db; border-width: 1px 0;
           border-left: 1px solid #d1d5db; }
.corner { background: #f3f4f6; border-top: 1px solid #d1d5db; border-bottom: 1px solid #d1d5db; }
.lane { border-left: 1px solid #d1d5db; }
.lane.more { border-left: 1px dashed #d1d5db; }
.lanehead { text-align: center; font-size: .75rem; color: #4b5563; padding: .15rem 0;
            background: #f9fafb; border-bottom: 1px solid #d1d5db; border-left: 1px solid #d1d5db; }
.hourline { border-top: 1px solid #eceef1; pointer-events: none; }
.hour { font-size: .75rem; color: #6b7280; text-align: right; padding-right: .35rem;
        transform: translateY(-.5em); }
.session { margin: 1px 3px; border-radius: 5px; padding: 2px 5px; overflow: hidden;
           font-size: .75rem; line-height: 1.15; box-shadow: 0 1px 2px rgba(0,0,0,.25);
           z-index: 1; }
.session strong { display: block; font-size: .8rem; }
.empty { color: #6b7280; font-style: italic; }
@media print {
  nav, .legend { display: none; }
  .panel[hidden] { display: none; }
  .session { box-shadow: none; border: 1px solid #000;
             -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("week-data").textContent);
  var PX_PER_MIN = 1.1;
  var GROUPS = [["room", "Rooms"], ["clinician", "Clinicians"], ["client", "Clients"]];
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function hhmm(minutes) {
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }
  var legend = document.getElementById("legend");
  Object.keys(data.types).forEach(function (id) {
    var t = data.types[id], item = el("span"), swatch = el("i");
    swatch.style.background = t.colour;
    item.appendChild(swatch);
    item.appendChild(document.createTextNode(t.name + " (" + t.kind + ")"));
    legend.appendChild(item);
  });
  var slots = Math.max(1, Math.round((data.close - data.open) / data.slot));
  var rowPx = Math.max(6, Math.round(data.slot * PX_PER_MIN));
  function grid(tab) {
    // A day is one lane, or several side by side when the tab gives lanes (telehealth).
    var lanes = tab.lanes || [], dayLanes = tab.dayLanes || {};
    var count = {}, column = {}, next = 2, several = false, template = ["3.5rem"];
    data.days.forEach(function (day) {
      count[day.id] = Math.max(1, dayLanes[day.id] || 1);
      column[day.id] = next;
      next += count[day.id];
      several = several || count[day.id] > 1;
      template.push("repeat(" + count[day.id] + ", minmax(7rem, 1fr))");
    });
    var top = several ? 3 : 2;  // the grid row of the first time slot
    var week = el("div", "week");
    week.style.gridTemplateColumns = template.join(" ");
    week.style.gridTemplateRows = "auto " + (several ? "auto " : "") +
      "repeat(" + slots + ", " + rowPx + "px)";
    var corner = el("div", "corner");
    corner.style.gridRow = "1 / span " + (top - 1); corner.style.gridColumn = "1";
    week.appendChild(corner);
    data.days.forEach(function (day) {
      var head = el("div", "dayhead", day.label);
      head.style.gridRow = "1";
      head.style.gridColumn = column[day.id] + " / span " + count[day.id];
      week.appendChild(head);
      for (var k = 0; k < count[day.id]; k++) {
        if (several) {
          var name = k === 0 ? tab.name : tab.name + " " + (k + 1);
          var sub = el("div", "lanehead", name);
          sub.style.gridRow = "2"; sub.style.gridColumn = String(column[day.id] + k);
          week.appendChild(sub);
        }
        var lane = el("div", k === 0 ? "lane" : "lane more");
        lane.style.gridRow = top + " / span " + slots;
        lane.style.gridColumn = String(column[day.id] + k);
        week.appendChild(lane);
      }
    });
    for (var t = data.open; t < data.close; t += data.slot) {
      if (t % 60 === 0 || t === data.open) {
        var row = String(top + Math.round((t - data.open) / data.slot));
        var label = el("div", "hour", hhmm(t));
        label.style.gridColumn = "1";
        label.style.gridRow = row;
        week.appendChild(label);
        var line = el("div", "hourline");
        line.style.gridColumn = "2 / -1";
        line.style.gridRow = row;
        week.appendChild(line);
      }
    }
    tab.sessions.forEach(function (n, k) {
      var s = data.sessions[n], type = data.types[s.type], lane = lanes[k] || 0;
      if (!(s.day in column)) { return; }
      var first = Math.max(0, Math.round((s.start - data.open) / data.slot));
      var last = Math.min(s.end, data.close), from = Math.max(s.start, data.open);
      var span = Math.max(1, Math.round((last - from) / data.slot));
      var box = el("div", "session");
      box.style.gridColumn = String(column[s.day] + lane);
      box.style.gridRow = (first + top) + " / span " + span;
      box.style.background = type.colour;
      box.style.color = type.text;
      box.dataset.session = s.id;
      box.dataset.type = s.type;
      box.dataset.day = s.day;
      box.dataset.start = hhmm(s.start);
      box.dataset.end = hhmm(s.end);
      box.dataset.entityKind = tab.kind;
      box.dataset.entity = tab.id;
      box.dataset.lane = String(lane + 1);
      box.appendChild(el("strong", "", type.name));
      var lines = [s.time];
      if (tab.kind !== "clinician") { lines.push(s.clinicianName); }
      if (tab.kind !== "room") { lines.push(s.roomName); }
      if (tab.kind !== "client") { lines.push(s.size + (s.size === 1 ? " client" : " clients")); }
      box.appendChild(el("span", "", lines.join(" · ")));
      box.title = type.name + " (" + s.id + ")\n" + s.time + "\n" + s.clinicianName +
        "\n" + s.roomName + "\n" + s.size + (s.size === 1 ? " client" : " clients");
      week.appendChild(box);
    });
    return week;
  }
  var nav = document.getElementById("tabs"), panels = document.getElementById("panels");
  var buttons = [];
  function key(tab) { return tab.kind + "-" + tab.id; }
  function show(name, focus) {
    buttons.forEach(function (b) {
      var on = b.dataset.tab === name;
      b.setAttribute("aria-selected", on ? "true" : "false");
      b.tabIndex = on ? 0 : -1;
      document.getElementById("panel-" + b.dataset.tab).hidden = !on;
      if (on && focus) { b.focus(); }
    });
  }
  GROUPS.forEach(function (group) {
    var tabs = data.tabs.filter(function (t) { return t.kind === group[0]; });
    if (!tabs.length) { return; }
    var row = el("div", "tabgroup");
    row.appendChild(el("b", "", group[1]));
    tabs.forEach(function (tab) {
      var b = el("button", "tab", tab.name);
      b.type = "button";
      b.setAttribute("role", "tab");
      b.setAttribute("aria-controls", "panel-" + key(tab));
      b.dataset.tab = key(tab);
      b.title = tab.kind + " " + tab.id;
      b.addEventListener("click", function () {
        show(key(tab));
        history.replaceState(null, "", "#" + key(tab));
      });
      buttons.push(b);
      row.appendChild(b);
      var panel = el("section", "panel");
      panel.id = "panel-" + key(tab);
      panel.setAttribute("role", "tabpanel");
      panel.dataset.entityKind = tab.kind;
      panel.dataset.entity = tab.id;
      panel.appendChild(el("h2", "", tab.name + " (" + tab.id + ")"));
      panel.appendChild(el("p", "detail", tab.detail));
      if (!tab.sessions.length) { panel.appendChild(el("p", "empty", "No sessions this week.")); }
      panel.appendChild(grid(tab));
      panels.appendChild(panel);
    });
    nav.appendChild(row);
  });
  nav.addEventListener("keydown", function (event) {
    var at = buttons.indexOf(document.activeElement);
    if (at < 0) { return; }
    var step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) { return; }
    event.preventDefault();
    show(buttons[(at + step + buttons.length) % buttons.length].dataset.tab, true);
  });
  var wanted = decodeURIComponent(location.hash.slice(1));
  var known = buttons.some(function (b) { return b.dataset.tab === wanted; });
  if (buttons.length) { show(known ? wanted : buttons[0].dataset.tab); }
  document.body.dataset.rendered = "true";
})();
"""
