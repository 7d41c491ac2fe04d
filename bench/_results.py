"""bench/RESULTS.md is made of sections ("## Speed", "## Memory", "## Project commands"), each written by the run
that measured it; a run replaces its own sections and keeps the others, so the speed table, the 1M/10M memory run
and the project run can be made at different times (each section says when, on what, and under what load)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from pathlib import Path

TITLE = "# casecode speed and scale"


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores ({model or platform.processor()}), Python " \
           f"{platform.python_version()}, {platform.system()} {platform.release()}"


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def header(command: str, started: dt.datetime, load_before: str) -> list[str]:
    """The lines every section opens with: when, where, the command, and the load average (1, 5, 15 min)."""
    return [f"Measured {started:%Y-%m-%d %H:%M} UTC on {machine()}.",
            f"Command: `{command}`.",
            f"Load average (1, 5, 15 min) before: {load_before}; after: {load()}. The machine may be shared: "
            "absolute figures move with its load, so compare the ratios, each measured back to back in one run."]


def write_section(path: Path, title: str, lines: list[str]) -> str:
    """Replace (or add) section `title` of the results file; returns the section's text."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if not text.startswith(TITLE):
        text = TITLE + "\n"
    parts = re.split(r"(?m)^(?=## )", text)
    head, sections = parts[0], {p.splitlines()[0][3:].strip(): p.rstrip() + "\n\n" for p in parts[1:]}
    body = f"## {title}\n\n" + "\n".join(lines).rstrip() + "\n\n"
    sections[title] = body
    order = ["Speed", "Workers", "Memory", "Project commands"]
    ordered = [sections[t] for t in order if t in sections] + [s for t, s in sections.items() if t not in order]
    path.write_text(head.rstrip() + "\n\n" + "".join(ordered).rstrip() + "\n", encoding="utf-8")
    return body
