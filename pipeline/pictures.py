"""The card's pictures: PNG files drawn with matplotlib from DuckDB queries over the written build.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no display, no global backend
state), so builds on headless nodes and in threads draw the same files. The card and the HTML
report link or inline these files; `PICTURES` names them in the card's order.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from .atomic import atomic_path
from .evaluate import agreement_report
from .store import connect

FOLDER = "card"
PICTURES = {  # file stem → caption
    "first_error": "First-error position",
    "ratings_by_labeler": "Ratings by labeler",
    "agreement": "Agreement between labelers",
    "rating_by_position": "Rating by step position",
}
COLORS = {1: "#2e7d32", 0: "#9e9e9e", -1: "#c62828", None: "#d7ccc8"}
NAMES = {1: "+1", 0: "0", -1: "-1", None: "unrated / abstain"}
MAX_POSITION = 15  # steps at or after this index share the last bar


def _figure(width: float = 6.4, height: float = 3.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _save(fig: Any, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": None})  # no version stamp: same data, same bytes


def _empty(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} in this build", ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def first_error(con: Any, path: Path) -> None:
    """Two series per position: `first_error` (ProcessBench: only when every earlier step is rated,
    else unknown) and `first_flag` (the first -1 whatever precedes it; none when no step is -1)."""
    fe = dict(con.execute("SELECT first_error, count(*) FROM chains WHERE status = 'labeled' GROUP BY 1").fetchall())
    ff = dict(con.execute("SELECT coalesce(first_flag, -1), count(*) FROM chains WHERE status = 'labeled' "
                          "GROUP BY 1").fetchall())
    fig, ax = _figure()
    positions = sorted({k for k in (*fe, *ff) if k is not None and k >= 0})
    labels = ["none"] + [str(p) for p in positions] + ["unknown"]
    keys: list[Optional[int]] = [-1, *positions, None]
    if not fe:
        _empty(ax, "labeled chains")
    else:
        x = range(len(keys))
        ax.bar([i - 0.2 for i in x], [fe.get(k, 0) for k in keys], width=0.4, color=COLORS[-1],
               label="first_error (every earlier step rated)")
        ax.bar([i + 0.2 for i in x], [ff.get(k, 0) if k is not None else 0 for k in keys], width=0.4,
               color="#ef9a9a", label="first_flag (first -1 step)")
        ax.set_xticks(list(x), labels, rotation=45 if len(labels) > 12 else 0)
        ax.set_xlabel("step index of the first error (none = no -1 step; unknown = undetermined)")
        ax.set_ylabel("labeled chains")
        ax.legend(fontsize="small")
    ax.set_title(PICTURES["first_error"])
    _save(fig, path)


def ratings_by_labeler(con: Any, path: Path) -> None:
    rows = con.execute("""
        SELECT labeler, rating, count(*) FROM verdicts GROUP BY 1, 2
        UNION ALL SELECT 'merged', rating, count(*) FROM steps GROUP BY 1, 2""").fetchall()
    labelers = sorted({r[0] for r in rows} - {"merged"}) + (["merged"] if rows else [])
    counts = {(labeler, rating): n for labeler, rating, n in rows}
    fig, ax = _figure(height=max(2.4, 0.45 * len(labelers) + 1.4))
    if not labelers:
        _empty(ax, "verdicts")
    else:
        left = [0] * len(labelers)
        for rating in (1, 0, -1, None):
            widths = [counts.get((labeler, rating), 0) for labeler in labelers]
            ax.barh(labelers, widths, left=left, color=COLORS[rating], label=NAMES[rating])
            left = [a + b for a, b in zip(left, widths)]
        ax.invert_yaxis()
        ax.set_xlabel("steps")
        ax.legend(loc="lower right", fontsize="small")
    ax.set_title(PICTURES["ratings_by_labeler"])
    _save(fig, path)


def agreement(out: Path, path: Path) -> None:
    pairs = agreement_report(out)
    names = sorted({n for pair in pairs for n in pair})
    fig, ax = _figure(width=max(4.8, 1.0 * len(names) + 2.4), height=max(3.6, 0.8 * len(names) + 1.6))
    if not pairs:
        _empty(ax, "steps rated by two labelers")
    else:
        grid: list[list[Optional[float]]] = [[None for _ in names] for _ in names]
        notes: dict[tuple[int, int], tuple[str, str]] = {}
        for (a, b), entry in pairs.items():
            i, j = names.index(a), names.index(b)
            grid[i][j] = grid[j][i] = share = entry["agreement"]
            kappa = "κ n/a" if entry["kappa"] is None else f"κ {entry['kappa']:.2f}"
            ink = "white" if share >= 0.8 or share <= 0.15 else "black"  # readable on the dark ends of the map
            notes[(i, j)] = notes[(j, i)] = (f"{share:.2f}\n{kappa}\nn={entry['n']}", ink)
        shown = [[float("nan") if v is None else v for v in row] for row in grid]  # NaN: drawn blank
        image = ax.imshow(shown, vmin=0, vmax=1, cmap="RdYlGn")
        for (i, j), (text, ink) in notes.items():
            ax.text(j, i, text, ha="center", va="center", fontsize="x-small", color=ink)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
        ax.set_yticks(range(len(names)), names)
        fig.colorbar(image, ax=ax, label="share of shared steps rated alike")
    ax.set_title(PICTURES["agreement"])
    _save(fig, path)


def rating_by_position(con: Any, path: Path) -> None:
    rows = con.execute(f"""
        SELECT least(step_index, {MAX_POSITION}) AS pos, rating, count(*) FROM steps
        WHERE status = 'labeled' GROUP BY 1, 2""").fetchall()
    positions = sorted({r[0] for r in rows})
    counts = {(p, r): n for p, r, n in rows}
    totals = {p: sum(n for (q, _), n in counts.items() if q == p) for p in positions}
    fig, ax = _figure()
    if not rows:
        _empty(ax, "steps of labeled chains")
    else:
        bottom = [0.0] * len(positions)
        for rating in (1, 0, -1, None):
            shares = [counts.get((p, rating), 0) / totals[p] for p in positions]
            ax.bar(range(len(positions)), shares, bottom=bottom, color=COLORS[rating], label=NAMES[rating])
            bottom = [a + b for a, b in zip(bottom, shares)]
        ticks = [f"{p}+" if p == MAX_POSITION else str(p) for p in positions]
        ax.set_xticks(range(len(positions)), ticks)
        ax.set_xlabel("step index (merged rating)")
        ax.set_ylabel("share of steps")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize="small")
    ax.set_title(PICTURES["rating_by_position"])
    _save(fig, path)


def draw_pictures(out: str | Path, into: Optional[Path] = None) -> dict[str, str]:
    """Draw every card picture into OUT/card/ (or the folder `into`, for a build on S3); returns
    stem → path relative to OUT."""
    folder = into or Path(out) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    con = connect(out)
    first_error(con, folder / "first_error.png")
    ratings_by_labeler(con, folder / "ratings_by_labeler.png")
    agreement(out, folder / "agreement.png")
    rating_by_position(con, folder / "rating_by_position.png")
    return {stem: f"{FOLDER}/{stem}.png" for stem in PICTURES}
