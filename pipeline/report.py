"""`steplabel report OUT`: one self-contained HTML file to audit a build in a browser.

No server and no network: the card's pictures are inlined as data URIs, styles and the small
filter script are inline, nothing is fetched. The page shows the card's tables and a sample of
chains in subsets — flagged (a labeler rated a step -1), disagreements (two labelers rated one
step differently), filtered (kept by the merge policy for audit) and quarantined — each step with
its rating, who decided it and every verdict's evidence. Filters by labeler, rating and subset run
in the page; `#subset=flagged&labeler=judge&rating=-1` in the address sets them on load.

Large builds are sampled with DuckDB so the file stays small: at most `cap` chains per subset
(default 50, so at most 200 chains), picked by a hash of the chain id (the same chains every
time), step texts cut at 1,500 characters and evidence at 600; the page states what it left out.
"""
from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any, Optional

from .card import card_figures
from .cascade import SKIPPED
from .pictures import PICTURES, draw_pictures
from .atomic import write_atomic
from .store import connect, read_manifest

CAP = 50
TEXT_CHARS, EVIDENCE_CHARS, PROBLEM_CHARS = 1500, 600, 1500
RATING_NAMES = {1: "+1", 0: "0", -1: "-1", None: "unrated"}

# subset name → (caption, view the rows come from, SQL giving the subset's chain ids). Written as
# GROUP BYs over the flat `verdicts` view: correlated EXISTS over nested lists took minutes at 20k chains.
SUBSETS: dict[str, tuple[str, str, str]] = {
    "flagged": ("a labeler rated a step -1", "chains",
                "SELECT DISTINCT chain_id FROM verdicts WHERE rating = -1"),
    "disagreement": ("two labelers rated one step differently", "chains",
                     "SELECT DISTINCT chain_id FROM (SELECT chain_id FROM verdicts WHERE rating IS NOT NULL "
                     "GROUP BY chain_id, step_index HAVING count(DISTINCT rating) > 1)"),
    "filtered": ("kept by the merge policy for audit", "chains",
                 "SELECT chain_id FROM chains WHERE status = 'filtered'"),
    "quarantined": ("bad input, with its reason", "quarantine", "SELECT chain_id FROM quarantine"),
}


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _null(value: Any) -> Any:
    return "null" if value is None else value


def _cut(text: Optional[str], limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit:,} more characters]"


def _md_table(markdown: str) -> str:
    """The card's pipe tables (written by card.py) as HTML; any other text as a paragraph."""
    lines = [line for line in markdown.strip().splitlines() if line.strip()]
    if not lines or not lines[0].startswith("|"):
        return f"<p>{_esc(markdown.strip())}</p>"
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]
    head, body = rows[0], [r for r in rows[1:] if not all(set(c) <= set("-: ") for c in r)]
    out = ["<table>"]
    if any(head):
        out += ["<thead><tr>", *(f"<th>{_esc(c.strip('*'))}</th>" for c in head), "</tr></thead>"]
    out += ["<tbody>"]
    for row in body:
        out += ["<tr>", *(f"<td>{_esc(c.strip('*'))}</td>" for c in row), "</tr>"]
    return "".join(out + ["</tbody></table>"])


def _sample(con: Any, view: str, ids: str, cap: int) -> tuple[int, list[dict[str, Any]]]:
    """How many chains the subset has, and up to `cap` of them picked by a hash of the chain id."""
    total = con.execute(f"SELECT count(*) FROM ({ids})").fetchall()[0][0]
    cursor = con.execute(f"""
        WITH picked AS (SELECT chain_id FROM ({ids}) ORDER BY hash(chain_id), chain_id LIMIT {int(cap)})
        SELECT chain_id, problem_id, domain, problem, status, status_reason, first_error, outcome, source, steps
        FROM {view} WHERE chain_id IN (SELECT chain_id FROM picked) ORDER BY hash(chain_id), chain_id""")
    names = [d[0] for d in cursor.description]
    return total, [dict(zip(names, row)) for row in cursor.fetchall()]


def _verdict_name(v: dict[str, Any]) -> str:
    if v["rating"] is not None:
        return RATING_NAMES[v["rating"]]
    return "skipped (cascade)" if (v.get("evidence") or "").startswith(SKIPPED) else "abstain"


def _step_html(step: dict[str, Any]) -> str:
    verdicts = step.get("verdicts") or []
    items = "".join(
        f'<li class="verdict" data-labeler="{_esc(v["labeler"])}"><b>{_esc(v["labeler"])}</b> '
        f'<span class="r r{_esc(v["rating"])}">{_verdict_name(v)}</span>'
        + (f' <span class="score">score {v["score"]:.3g}</span>' if v.get("score") is not None else "")
        + f' <span class="evidence">{_esc(_cut(v.get("evidence"), EVIDENCE_CHARS))}</span></li>'
        for v in verdicts)
    rating = step.get("rating")
    return (f'<tr class="step" data-rating="{_esc(rating)}"><td>{step["index"]}</td>'
            f'<td><pre>{_esc(_cut(step.get("text"), TEXT_CHARS))}</pre></td>'
            f'<td><span class="r r{_esc(rating)}">{RATING_NAMES.get(rating, rating)}</span></td>'
            f'<td>{_esc(step.get("decided_by") or "—")}</td><td><ul>{items}</ul></td></tr>')


def _chain_html(chain: dict[str, Any], subsets: list[str]) -> str:
    steps = chain.get("steps") or []
    labelers = sorted({v["labeler"] for s in steps for v in (s.get("verdicts") or [])})
    ratings = sorted({str(s.get("rating")) for s in steps})
    outcome = chain.get("outcome") or {}
    source = chain.get("source") or {}
    facts = [f"status <b>{_esc(chain['status'])}</b>", f"first_error {_esc(_null(chain['first_error']))}",
             f"outcome correct {_esc(_null(outcome.get('correct')))}", f"domain {_esc(chain['domain'])}",
             f"source {_esc(source.get('dataset'))}"]
    reason = f'<p class="reason">{_esc(chain["status_reason"])}</p>' if chain.get("status_reason") else ""
    return (f'<details class="chain" data-subsets="{" ".join(subsets)}" data-labelers="{_esc(" ".join(labelers))}" '
            f'data-ratings="{_esc(" ".join(ratings))}" open>'
            f'<summary><code>{_esc(chain["chain_id"])}</code> {_esc(chain["problem_id"])} — {" · ".join(facts)} '
            f'<span class="tags">{" ".join(subsets)}</span></summary>{reason}'
            f'<p class="problem">{_esc(_cut(chain.get("problem"), PROBLEM_CHARS))}</p>'
            f'<table class="steps"><thead><tr><th>#</th><th>step</th><th>rating</th><th>decided by</th>'
            f'<th>verdicts (labeler, rating, evidence)</th></tr></thead><tbody>'
            f'{"".join(_step_html(s) for s in steps)}</tbody></table></details>')


def _pictures(out: Path) -> str:
    parts = []
    for stem, relative in draw_pictures(out).items():
        data = base64.b64encode((out / relative).read_bytes()).decode()
        parts.append(f'<figure><img alt="{_esc(PICTURES[stem])}" src="data:image/png;base64,{data}">'
                     f'<figcaption>{_esc(PICTURES[stem])}</figcaption></figure>')
    return "".join(parts)


SCRIPT = """
const $ = (q) => document.querySelector(q), $$ = (q) => Array.from(document.querySelectorAll(q));
function apply() {
  const subset = $('#f-subset').value, labeler = $('#f-labeler').value, rating = $('#f-rating').value;
  let shown = 0;
  for (const el of $$('details.chain')) {
    const ok = (!subset || el.dataset.subsets.split(' ').includes(subset))
      && (!labeler || el.dataset.labelers.split(' ').includes(labeler))
      && (!rating || el.dataset.ratings.split(' ').includes(rating));
    el.hidden = !ok; if (ok) shown++;
  }
  for (const li of $$('li.verdict')) li.classList.toggle('dim', !!labeler && li.dataset.labeler !== labeler);
  $('#shown').textContent = shown;
  const q = new URLSearchParams({subset, labeler, rating});
  for (const [k, v] of Array.from(q.entries())) if (!v) q.delete(k);
  try { history.replaceState(null, '', q.toString() ? '#' + q : location.pathname); } catch (e) { /* file: */ }
}
window.addEventListener('DOMContentLoaded', () => {
  const q = new URLSearchParams(location.hash.slice(1));
  for (const k of ['subset', 'labeler', 'rating']) if (q.has(k)) $('#f-' + k).value = q.get(k);
  for (const k of ['subset', 'labeler', 'rating']) $('#f-' + k).addEventListener('change', apply);
  apply();
});
"""

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}
th{background:#f3f3f3}figure{display:inline-block;margin:.5em}img{max-width:560px}
figcaption{text-align:center;color:#555}pre{white-space:pre-wrap;margin:0;font-size:13px}
.r{font-weight:bold;padding:0 4px;border-radius:3px}.r1{background:#c8e6c9}.r-1{background:#ffcdd2}
.r0{background:#eee}.rNone,.r{color:#333}details.chain{border:1px solid #bbb;border-radius:4px;margin:.7em 0;padding:.4em}
summary{cursor:pointer}.tags{color:#a33;font-size:12px}.evidence{color:#444}.dim{opacity:.35}
ul{margin:0;padding-left:1.1em}.steps{width:100%}.problem{background:#fafafa;padding:.4em}
.filters{position:sticky;top:0;background:#fff;padding:.5em 0;border-bottom:1px solid #ddd}
"""


def render_report(out: str | Path, cap: int = CAP) -> str:
    out = Path(out)
    manifest = read_manifest(out)
    if manifest is None:
        raise FileNotFoundError(f"{out} is not a steplabel build")
    con = connect(out)
    figures = card_figures(out)
    build = manifest.get("build") or {}
    chains: dict[str, dict[str, Any]] = {}
    member: dict[str, list[str]] = {}
    notes = []
    for name, (caption, view, ids) in SUBSETS.items():
        total, rows = _sample(con, view, ids, cap)
        for row in rows:
            chains.setdefault(row["chain_id"], row)
            member.setdefault(row["chain_id"], []).append(name)
        notes.append(f"<li><b>{name}</b> ({_esc(caption)}): {len(rows)} shown of {total}</li>")
    labelers = sorted({v["labeler"] for c in chains.values() for s in (c["steps"] or []) for v in (s["verdicts"] or [])})
    option = lambda v, label: f'<option value="{_esc(v)}">{_esc(label)}</option>'  # noqa: E731
    filters = (
        '<div class="filters">subset <select id="f-subset">' + option("", "any")
        + "".join(option(n, n) for n in SUBSETS) + '</select> labeler <select id="f-labeler">' + option("", "any")
        + "".join(option(n, n) for n in labelers) + '</select> rating (merged, of some step) <select id="f-rating">'
        + option("", "any") + "".join(option(str(r), RATING_NAMES[r]) for r in (1, 0, -1, None))
        + f'</select> — <span id="shown">{len(chains)}</span> of {len(chains)} sampled chains shown</div>')
    tables = [("Counts", "| | |\n|---|---|\n" + figures["counts_table"]),
              ("Ratings by labeler", figures["ratings_table"]),
              ("Agreement between labelers", figures["agreement_table"]),
              ("First-error position", figures["first_error_table"]),
              ("LLM requests", figures["llm_usage"]),
              ("Sampling", figures["sampling"])]
    title = f"steplabel report — {manifest.get('name', '')} ({build.get('build_id', '')})"
    return "".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        # nothing may be fetched: the page is whole offline, and model text cannot pull anything in
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
        f"<title>{_esc(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{_esc(title)}</h1><p>config hash <code>{_esc(build.get('config_hash'))}</code>, created "
        f"{_esc(build.get('created_at'))}, steplabel {_esc(build.get('steplabel_version'))}.</p>",
        '<p><a href="#pictures">pictures</a> · <a href="#chains">chains</a> · <a href="#tables">tables</a></p>',
        '<h2 id="pictures">Pictures</h2>', _pictures(out),
        '<h2 id="chains">Chains</h2>',
        f"<p>{_esc(figures['filtered_note'].splitlines()[0])}</p>",
        f"<p>A sample chosen with DuckDB: at most {cap} chains per subset, by a hash of the chain id; step "
        f"texts cut at {TEXT_CHARS:,} characters, evidence at {EVIDENCE_CHARS:,}.</p><ul>{''.join(notes)}</ul>",
        filters,
        "".join(_chain_html(c, member[cid]) for cid, c in chains.items()) or "<p>No chain in any subset.</p>",
        '<h2 id="tables">Tables of the card</h2>',
        *(f"<h3>{_esc(h)}</h3>{_md_table(t)}" for h, t in tables),
        f"<script>{SCRIPT}</script></body></html>\n",
    ])


def write_report(out: str | Path, to: Optional[str | Path] = None, cap: int = CAP) -> Path:
    """Write the report (default OUT/report.html); returns its path."""
    path = Path(to) if to else Path(out) / "report.html"
    write_atomic(path, render_report(out, cap))
    return path
