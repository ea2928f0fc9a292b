"""The run's figures as a text table, a Markdown table, JSON and a plot."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Sequence
from pathlib import Path

from tools.bench.core import Figure

COLUMNS = ("figure", "baseline", "measured", "ratio", "goal", "result")


def number(value: float | None, unit: str) -> str:
    """A value with its unit, 3 significant digits: '1.23 s', '845 req/s'."""
    if value is None:
        return "—"
    text = f"{value:.3g}" if abs(value) < 999.5 else f"{value:,.0f}"  # 999.7 is '1,000', not '1e+03'
    return f"{text} {unit}".rstrip()


def verdict(figure: Figure) -> str:
    """'pass', 'MISS', 'skipped: <reason>', or '' for a figure with no goal."""
    if figure.skipped:
        return f"skipped: {figure.skipped}"
    return {True: "pass", False: "MISS", None: ""}[figure.passed]


def row(figure: Figure) -> tuple[str, ...]:
    """One figure's cells, in COLUMNS order."""
    if figure.skipped:
        return (figure.name, figure.baseline_name or "", "", "", str(figure.goal or ""), verdict(figure))
    baseline = number(figure.baseline, figure.unit)
    if figure.baseline_name:
        baseline = f"{figure.baseline_name}: {baseline}" if figure.baseline is not None else figure.baseline_name
    ratio = f"{figure.ratio:.2f}×" if figure.ratio is not None else ""
    result = verdict(figure) + (f" ({figure.note})" if figure.note else "")
    return (figure.name, baseline, number(figure.measured, figure.unit), ratio, str(figure.goal or ""), result.strip())


def text_table(figures: Sequence[Figure]) -> str:
    """A fixed-width table for the terminal."""
    rows = [COLUMNS, *(row(figure) for figure in figures)]
    widths = [max(len(cells[i]) for cells in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip() for cells in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(figures: Sequence[Figure], *, notes: bool = True) -> str:
    """A GitHub Markdown table (pipes in cells escaped); without `notes`, the result column says only the verdict."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for figure in figures:
        cells = row(figure) if notes else (*row(figure)[:-1], verdict(figure))
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


README_START, README_END = "<!-- bench:start -->", "<!-- bench:end -->"


def write_readme_goals(path: Path, data: dict, figures: Sequence[Figure], details: str) -> bool:
    """Put the figures that have a goal, with their verdicts, between the README's bench markers; False without them."""
    text = path.read_text()
    if README_START not in text or README_END not in text:
        return False
    before, rest = text.split(README_START, 1)
    after = rest.split(README_END, 1)[1]
    goals = [figure for figure in figures if figure.goal is not None]
    table = (
        f"The goals of the latest whole `make bench` run ({data['generated'][:10]}, {data['seconds']:.0f} s, "
        f"{data['machine']['cpus']} CPUs); every figure, with what each note says: [{details}]({details}).\n\n"
        + markdown_table(goals, notes=False)
    )
    path.write_text(f"{before}{README_START}\n{table}\n{README_END}{after}")
    return True


def document(figures: Sequence[Figure], *, command: str, seconds: float, note: str = "") -> dict:
    """The run as JSON-ready data: when, where, how long, and every figure."""
    return {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "command": command,
        "seconds": round(seconds, 1),
        "machine": machine(),
        "note": note,
        "figures": [figure.as_dict() for figure in figures],
    }


def machine() -> dict:
    """What the numbers were measured on."""
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def write_markdown(path: Path, data: dict, figures: Sequence[Figure], plot: str | None = None) -> None:
    """docs/benchmarks.md: the latest table, how it was made, and the plot when there is one."""
    load = ", ".join(f"{value:g}" for value in data["machine"]["load_average"])
    parts = [
        "# Benchmarks",
        "",
        "Written by `make bench` (tools/bench); do not edit by hand. Each figure is the median over repeats, beside "
        "its baseline measured in the same run; the ratio is what the goal constrains, since absolute times depend "
        "on the machine.",
        "",
        f"Run {data['generated']}: `{data['command']}`, {data['seconds']:.0f} s, Python {data['machine']['python']}, "
        f"{data['machine']['cpus']} CPUs, load average {load} at the end.",
        "",
    ]
    if data.get("note"):
        parts += [data["note"], ""]
    parts += [markdown_table(figures), ""]
    if plot:
        parts += [f"![ratios to baseline]({plot})", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))


def plot(path: Path, figures: Sequence[Figure]) -> bool:
    """A horizontal bar per measured ratio, its goal marked; False when there is nothing to draw."""
    drawn = [figure for figure in figures if figure.ratio is not None]
    if not drawn:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 0.32 * len(drawn) + 1.2))
    names = [figure.name for figure in drawn][::-1]
    ratios = [figure.ratio or 0.0 for figure in drawn][::-1]  # drawn: those with a ratio
    colours = [{True: "tab:green", False: "tab:red", None: "tab:gray"}[figure.passed] for figure in drawn][::-1]
    ax.barh(names, ratios, color=colours)
    for y, figure in enumerate(drawn[::-1]):
        if figure.goal and figure.goal.of == "ratio":
            ax.plot([figure.goal.bound] * 2, [y - 0.4, y + 0.4], color="black", linewidth=2)
    ax.axvline(1.0, color="gray", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("ratio to baseline (log scale; black tick: goal; green met, red missed)")
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True
