"""The report's HTML: one self-contained page, every piece of text escaped.

Outputs are student text, and a results file can be edited by anyone who can write the
state folder, so every string from a results file passes through `esc` (control and
bidi characters made visible as in results.json, then HTML-escaped). The page's
Content-Security-Policy allows no script and no resource but inline styles and data:
images: even an escaping mistake could not run code or fetch anything.
"""
import html
import math
from datetime import datetime

from ..describe import visible

PLOT_FRAME = "#3b4a6b"  # the frame of every plot, and nothing else on the page (the browser test finds it)
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
SECTIONS = {"summary": "Submissions", "scores": "Score distribution", "pass-rates": "Pass rate of each test",
            "failures": "Most common failure reasons", "timing": "Timing ratios", "metrics": "Held-out metrics",
            "look": "Submissions that need a look"}  # id -> title, in page order

STYLE = f"""
body {{ font-family: sans-serif; margin: 24px auto; max-width: 1100px; color: #222; line-height: 1.4; }}
h1 {{ font-size: 1.6em; }} h2 {{ border-bottom: 1px solid #ccc; margin-top: 1.8em; }} h3 {{ font-size: 1.05em; }}
table {{ border-collapse: collapse; margin: 8px 0; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }}
th {{ background: #eee; }} td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
img.plot {{ display: block; border: 3px solid {PLOT_FRAME}; margin: 10px 0; background: #fff; }}
pre {{ white-space: pre-wrap; word-break: break-word; background: #f6f6f6; padding: 8px; max-height: 24em;
      overflow: auto; font-size: 0.85em; }}
.empty {{ color: #666; font-style: italic; }} .meta {{ color: #555; }}
"""


def esc(value):
    return html.escape(visible(str(value)), quote=True)


def num(x, digits=2):
    """A number for a table: 2 decimals at most, no trailing zeros (4 significant digits
    past a million, where a hand-edited file could put 1e308)."""
    if not isinstance(x, float):
        return str(x)
    if not math.isfinite(x) or abs(x) >= 1e6:
        return f"{x:.4g}"
    return f"{x:.{digits}f}".rstrip("0").rstrip(".")


def img(plot):
    return (f'<img class="plot" src="{plot.uri}" width="{plot.width}" height="{plot.height}" '
            f'alt="{esc(plot.alt)}">')


def empty(text):
    return f'<p class="empty">{esc(text)}</p>'


def table(header, rows, numeric=()):
    """rows: lists of already-escaped cells; `numeric` columns are right-aligned."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="n">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def section(ident, body):
    return f'<section id="{ident}">\n<h2>{esc(SECTIONS[ident])}</h2>\n{body}\n</section>'


def page(title, sections, generated=None):
    generated = generated or datetime.now().strftime("%Y-%m-%d %H:%M")
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"<h1>{esc(title)}</h1>\n<p class=\"meta\">generated {esc(generated)} by nlpgrade report</p>\n"
            + "\n".join(sections) + "\n</body>\n</html>\n")
