"""The quality/speed picture: WordSim-353 against whole-process seconds."""

from pathlib import Path

import numpy as np

from .systems import SGNS

SYSTEM_COLOURS = {
    "w2v-nce": "tab:blue",
    "gensim": "tab:orange",
    "word2vec.c": "tab:green",
    "fastText": "tab:red",
}


def picture_points(results):
    """(system, setup label, wall s, WS-353, its interval) of every scored run summary."""
    points = []
    main = results.get("main", {}).get("rows", {})
    for name, row in main.items():
        if "wall" in row:
            points.append((name, SGNS.label, row["wall"], row["ws353"], row["ws353_ci"]))
    for section in ("models", "losses"):
        for row in results.get(section, {}).get("rows", []):
            if "wall" in row:
                points.append(
                    (row["system"], row["setup"], row["wall"], row["ws353"], row["ws353_ci"])
                )
    return points


def draw_picture(results, path, subtitle):
    """WordSim-353 (with its 95% interval) against whole-process seconds, one point per
    system and setup, every point labelled; returns whether there was anything to draw."""
    points = picture_points(results)
    if not points:
        return False
    from matplotlib.lines import Line2D
    from matplotlib.ticker import LogLocator, NullFormatter

    from w2v_nce.evaluation.plots import draw_labels, new_figure, write_png

    figure = new_figure(11, 7)
    ax = figure.add_subplot()
    walls = np.array([p[2] for p in points])
    for system, setup, wall, ws353, ci in points:
        colour = SYSTEM_COLOURS.get(system, "tab:gray")
        low, high = (ws353 - ci[0], ci[1] - ws353) if ci else (0, 0)
        ax.errorbar(
            wall, ws353, yerr=[[low], [high]], fmt="s" if setup.startswith("cbow") else "o",
            color=colour, ecolor=colour, alpha=0.8, capsize=3, markersize=7, zorder=3,
        )  # fmt: skip
    ax.set_xscale("log")
    ax.set_xlim(walls.min() / 1.25, walls.max() * 1.6)  # room right of the points for labels
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
    ax.xaxis.set_major_formatter("{x:g}")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("whole-process wall time, seconds (log scale; left is faster)")
    ax.set_ylabel("WordSim-353 Spearman ρ, with its 95% bootstrap interval")
    ax.set_title(f"Quality against speed: every system and w2v-nce loss\n{subtitle}", fontsize=11)
    ax.grid(True, which="both", alpha=0.25)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=colour, label=name)
        for name, colour in SYSTEM_COLOURS.items()
        if any(p[0] == name for p in points)
    ]
    handles += [
        Line2D([], [], marker="o", linestyle="", color="black", label="skip-gram"),
        Line2D([], [], marker="s", linestyle="", color="black", label="CBOW"),
    ]
    legend = figure.legend(handles=handles, loc="upper right", bbox_to_anchor=(0.99, 0.9))
    width = legend.get_window_extent(figure.canvas.get_renderer()).width / figure.bbox.width
    figure.subplots_adjust(left=0.07, right=0.96 - width, bottom=0.09, top=0.9)
    styles = [{"fontsize": 8, "color": SYSTEM_COLOURS.get(p[0], "tab:gray")} for p in points]
    draw_labels(
        figure, ax, [(p[2], p[3]) for p in points], [p[1] for p in points],
        [7] * len(points), styles,
    )  # fmt: skip
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_png(figure, path)
    return True
