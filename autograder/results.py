"""results.json: building, validating against the Gradescope schema, writing, printing.

Outputs and names carry student text (exception messages, what their code printed).
Every string that goes into results.json or the printed table passes through
`describe.visible`: control characters (ANSI/VT escapes, carriage returns), Unicode bidi
controls and line separators are shown as their Python escapes (ESC as the text \\x1b),
lone surrogates become U+FFFD, tabs and newlines stay. Every output is declared plain
text (`output_format` "text"): Gradescope then shows it as is, so HTML or markdown in it
is shown, never rendered.
"""
import json
import math
import os
import re
import tempfile
import textwrap

from .describe import unsafe_character, visible

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "schemas", "gradescope-results.schema.json")
MAX_TEST_OUTPUT = 8000  # characters of one test's output shown to a student
TEXT = "text"  # Gradescope's format under which nothing in an output is markup


def _clip(text, limit=MAX_TEST_OUTPUT):
    return text if len(text) <= limit else text[:limit] + f"\n[... {len(text) - limit} more characters cut]"


def test_entry(name, number, score, max_score, output="", visibility="visible", tags=None,
               extra_data=None):
    """One test of results.json; status follows from the score."""
    score = float(score) if math.isfinite(float(score)) else 0.0
    entry = {"name": visible(str(name)), "name_format": TEXT, "number": visible(str(number)),
             "score": score, "max_score": float(max_score),
             "status": "passed" if score >= max_score else "failed",
             "output": _clip(visible(str(output))), "output_format": TEXT, "visibility": visibility}
    if tags:
        entry["tags"] = [visible(str(t)) for t in tags]
    if extra_data:
        entry["extra_data"] = safe(extra_data)
    return entry


def safe(value):
    """`value` (JSON data) with `visible` applied to every string in it, keys included."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {safe(k) if isinstance(k, str) else k: safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [safe(v) for v in value]
    return value


def number_key(number):
    """Sort "1.2" before "1.10"; non-numeric parts sort as text."""
    return [(0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\s]", str(number))]


def build(tests, execution_time, output="", leaderboard=None, extra_data=None):
    results = {"execution_time": round(float(execution_time), 3),
               "score": round(sum(t["score"] for t in tests), 6),
               "output": output, "output_format": TEXT, "test_output_format": TEXT,
               "test_name_format": TEXT, "stdout_visibility": "hidden",
               "tests": [{"output_format": TEXT, "name_format": TEXT, **t}
                         for t in sorted(tests, key=lambda t: number_key(t["number"]))]}
    if leaderboard:
        results["leaderboard"] = leaderboard
    if extra_data:
        results["extra_data"] = extra_data
    return safe(results)  # whoever built the entries, no unsafe text reaches the file


def schema():
    with open(SCHEMA_PATH) as f:
        return json.load(f)


def validate(results):
    """Raise jsonschema.ValidationError unless `results` fits Gradescope's format."""
    import jsonschema

    jsonschema.validate(results, schema())
    json.dumps(results, allow_nan=False)  # NaN is not JSON; Gradescope would reject it
    _check_text(results, "results")


def _check_text(value, where):
    """ValueError at the first string that is not strict UTF-8 (a lone surrogate: the
    file would be invalid strict JSON, jq refuses it) or that holds a character `visible`
    neutralises (terminal escapes, bidi controls)."""
    if isinstance(value, str):
        c = unsafe_character(value)
        if c is not None:
            kind = "a lone surrogate" if "\ud800" <= c <= "\udfff" else f"the control character {c!r}"
            raise ValueError(f"{where} holds {kind}: {value[:80]!r}")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_text(k, f"{where} (a key)")
            _check_text(v, f"{where}[{k!r}]")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_text(v, f"{where}[{i}]")


def write(results, path):
    """Write atomically: a reader never sees half a file, and a stale one is replaced."""
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".results-", suffix=".json")
    with os.fdopen(fd, "w") as f:
        json.dump(results, f, indent=2, allow_nan=False)
        f.write("\n")
    os.chmod(tmp, 0o600)  # names, scores, staff notes: no one else reads them
    os.replace(tmp, path)


def first_line(text, width=70):
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= width else line[:width - 3] + "..."


def table(results):
    """The per-test table and the total, as printed by `nlpgrade grade`: one compact row
    per test, whose reason is only the start of the failure's first line (`reasons`
    prints every failure in full)."""
    tests = results.get("tests", [])
    name_w = min(48, max([4] + [len(visible(t["name"])) for t in tests]))
    rows = [f"{'#':<6} {'test':<{name_w}} {'score':>9}  reason", "-" * (name_w + 40)]
    for t in tests:  # a results.json read from a file may not have passed through build()
        score = f"{_num(t['score'])}/{_num(t['max_score'])}"
        reason = "" if t["status"] == "passed" else first_line(visible(t.get("output", "")))
        rows.append(f"{visible(t['number']):<6} {visible(t['name'])[:name_w]:<{name_w}} {score:>9}  {reason}")
    total = sum(t["max_score"] for t in tests)
    rows.append("-" * (name_w + 40))
    rows.append(f"{'':<6} {'Total':<{name_w}} {_num(results.get('score', 0)) + '/' + _num(total):>9}")
    return "\n".join(rows)


def _num(x):
    return f"{x:g}"


def reasons(results, width=100):
    """Every failed test's whole output, wrapped to `width` columns, below its number and
    name; "" when every test passed. The table cuts a reason at its first line and about
    68 characters, where the part that says what was wrong often comes later."""
    blocks = []
    for t in results.get("tests", []):
        if t.get("status") == "passed":
            continue
        text = visible(t.get("output", "")).strip() or "(no reason given)"
        lines = []
        for line in text.splitlines():
            # long lines wrapped, indentation kept (tracebacks, "Your code printed:")
            indent = "    " + " " * (len(line) - len(line.lstrip(" ")))
            lines += textwrap.wrap(line.strip(), width, initial_indent=indent, subsequent_indent=indent + "  ",
                                   break_long_words=True, break_on_hyphens=False) or [""]
        blocks.append(f"{visible(str(t['number']))} {visible(str(t['name']))} "
                      f"({_num(t['score'])}/{_num(t['max_score'])}):\n" + "\n".join(lines))
    return "\n\n".join(blocks)
