"""`nlpgrade similarity`: which submissions of a Gradescope export share code.

    nlpgrade similarity ASSIGNMENT EXPORT [--top N] [--out REPORT.html] [--fragments K]
                        [--min-tokens T] [--threshold FRACTION]

Every pair of submissions is compared by copydetect (winnowed fingerprints of the token
stream, in which names become V/F/O and strings S, and comments and whitespace vanish, so
renaming variables or reformatting hides nothing). Only the student-written files of the
assignment count (config.json's student_files; notebooks as their code cells), and
everything the starter template and the provided modules contain is boilerplate: code
every student was given never counts as shared.

Each submission's code files are joined into one temporary .py file (one per
submission, so copydetect's pairs are pairs of submissions), with a comment line before
each file or cell that copydetect ignores and we use to say where a fragment sits.

Submissions are only read, never run: notebooks are parsed as JSON (nbformat), code is
only tokenized (pygments). What is printed of their code has its control characters
escaped, so a submission cannot drive the terminal. The HTML report is for staff only
(names and code of students): it is written readable by its owner alone.
"""
import argparse
import html
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field

from . import batch
from . import config as configmod
from . import submission as submod
from .checks import stubs
from .describe import visible as printable  # student text made harmless for a terminal
from .notebook.importer import NotebookError, read_code_cells

CODE_EXTENSIONS = (".py", ".ipynb")
CODE_LIMIT = stubs.CODE_LIMIT    # characters of code kept from one file (real ones: ~10 KB)
FILE_LIMIT = stubs.SOURCE_LIMIT  # bytes of one file read at most (a notebook with outputs)
HEADER = "# ---- "               # starts the comment line that names each part
FRAGMENT_LINES = 6               # lines shown of one shared fragment on the terminal
# copydetect's own flag level (copydetect.defaults.DISPLAY_THRESHOLD), kept here so that
# importing this module does not import copydetect (and matplotlib)
DISPLAY_T = 0.33
# Pairs sharing fewer tokens of filtered code (a name is one token: `x = np.dot(a, b)` is
# about 10) are not listed: two nearly empty submissions "share 100%" of a line or two.
MIN_TOKENS = 60


class Unreadable(Exception):
    """A student file we cannot read as code (its message says why)."""


@dataclass
class Code:
    """One submission's code, joined: `parts` are (line in `text` where a file or cell
    starts, its label)."""
    name: str
    text: str = ""
    parts: list = field(default_factory=list)
    problems: list = field(default_factory=list)

    def add(self, label, code):
        if self.text and not self.text.endswith("\n"):
            self.text += "\n"
        header = f"{HEADER}{label}\n"
        self.parts.append((self.text.count("\n") + 2, label))
        self.text += header + code

    def where(self, offset):
        """(label, line) in the student's own file of the character at `offset`."""
        line = self.text.count("\n", 0, offset) + 1
        found = ("?", line)
        for start, label in self.parts:
            if start <= line:
                found = (label, line - start + 1)
        return found


# ----- reading the code ------------------------------------------------------------
def file_parts(rel, path):
    """[(label, code)] of one student file: a .py as it is, a notebook as
    its code cells. Raises Unreadable."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise Unreadable(f"{rel}: cannot be read ({exc.strerror})") from None
    if size > FILE_LIMIT:
        raise Unreadable(f"{rel}: {size >> 20} MiB, more than the {FILE_LIMIT >> 20} MiB read")
    if rel.endswith(".ipynb"):
        try:
            cells = read_code_cells(path)
        except NotebookError as exc:
            raise Unreadable(str(exc)) from None
        except OSError as exc:
            raise Unreadable(f"{rel}: cannot be read ({exc.strerror})") from None
        return [(f"{rel}, code cell {n}", source) for n, source in enumerate(cells, 1)]
    text = stubs.read_limited(path, FILE_LIMIT)
    if text is None:
        raise Unreadable(f"{rel}: cannot be read")
    return [(rel, text)]


def read_code(name, files):
    """The Code of one submission from {student file: path}; a file that cannot be read,
    or is too long, becomes a problem of the submission, not an error."""
    code = Code(name)
    for rel, path in files.items():
        try:
            parts = file_parts(rel, path)
        except Unreadable as exc:
            code.problems.append(str(exc))
            continue
        if sum(len(text) for _, text in parts) > CODE_LIMIT:
            code.problems.append(f"{rel}: more than {CODE_LIMIT >> 10} K characters of code; "
                                 "only the first ones were compared")
        room = CODE_LIMIT
        for label, text in parts:
            if room <= 0:
                break
            # lone surrogates (from a notebook's JSON escapes) cannot be written as UTF-8
            code.add(label, text[:room].encode("utf-8", "replace").decode("utf-8"))
            room -= len(text)
    return code


def code_files(assignment):
    """The student files that hold code (not model weights)."""
    return [f for f in assignment.student_files if f.endswith(CODE_EXTENSIONS)]


def submission_code(assignment, export, name):
    """The Code of the submission folder `name` of the export, only read."""
    wanted = code_files(assignment)
    try:
        # scratch is only used for a zip upload, and an export holds folders
        found = submod.collect(os.path.join(export, name), wanted, scratch=None,
                               starter=assignment.provided)
    except (submod.SubmissionProblem, OSError) as exc:
        return Code(name, problems=[str(exc)])
    code = read_code(name, found.files)
    if found.missing:
        code.problems.append("missing " + ", ".join(found.missing))
    return code


def starter_code(assignment, scratch):
    """[Code] of what every student was given: the student template's code files (stubs
    included) and the provided modules. Where the template folder is absent (the
    Gradescope image), the reference with its solutions stubbed stands for it.

    The first Code joins the student files in the order submissions are joined, so the
    k-grams that span two files (the end of one, the start of the next) are starter
    code too, as they are in every submission that left both ends as given."""
    found = {}
    if os.path.isdir(assignment.template_dir):
        for rel in submod.all_files(assignment.template_dir):
            if rel.endswith(CODE_EXTENSIONS):
                found[rel] = os.path.join(assignment.template_dir, rel)
    else:
        for rel, text in stubs.starter_texts(assignment).items():
            path = os.path.join(scratch, "starter", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            found[rel] = path
    for rel in assignment.provided:
        path = os.path.join(assignment.reference_dir, rel)
        if rel.endswith(CODE_EXTENSIONS) and os.path.isfile(path):
            found.setdefault(rel, path)
    student = code_files(assignment)
    joined = read_code("starter", {rel: found[rel] for rel in student if rel in found})
    others = read_code("provided", {rel: p for rel, p in found.items() if rel not in student})
    return [joined, others]


# ----- comparing -------------------------------------------------------------------
@dataclass
class Pair:
    a: str
    b: str
    score: float          # the larger of the two shares: a copy inside more code counts
    share_a: float        # fraction of a's compared tokens also found in b
    share_b: float
    tokens: int           # tokens (of the filtered code) a shares with b
    slices_a: object      # 2 x M arrays of character spans in each one's joined text
    slices_b: object


def safe_filename(name, taken):
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] or "submission"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    taken.add(candidate)
    return candidate + ".py"


class Comparison:
    """copydetect run over the joined code of each submission, the starter as boilerplate."""

    def __init__(self, codes, starters, workdir, threshold, out_file):
        import copydetect

        subs_dir = os.path.join(workdir, "submissions")
        starter_dir = os.path.join(workdir, "starter-code")
        os.makedirs(subs_dir)
        os.makedirs(starter_dir)
        self.by_path, taken = {}, set()
        for code in codes:
            path = os.path.join(subs_dir, safe_filename(code.name, taken))
            with open(path, "w", encoding="utf-8") as f:
                f.write(code.text)
            self.by_path[path] = code.name
        for n, starter in enumerate(c for c in starters if c.text.strip()):
            with open(os.path.join(starter_dir, f"starter-{n}.py"), "w", encoding="utf-8") as f:
                f.write(starter.text)
        self.detector = copydetect.CopyDetector(
            test_dirs=[subs_dir], boilerplate_dirs=[starter_dir] if os.listdir(starter_dir) else [],
            extensions=["py"], force_language="python", display_t=threshold,
            autoopen=False, silent=True, out_file=out_file)
        self.detector.run()

    def pairs(self):
        """Every pair that shares something, most similar first."""
        d = self.detector
        files = d.test_files
        index = {f: i for i, f in enumerate(files)}
        found = []
        for (fa, fb), (slices_a, slices_b) in d.slice_matrix.items():
            i, j = index[fa], index[fb]
            share_a, share_b = (float(s) for s in d.similarity_matrix[i, j])
            found.append(Pair(self.by_path[fa], self.by_path[fb], max(share_a, share_b), share_a,
                              share_b, int(d.token_overlap_matrix[i, j]), slices_a, slices_b))
        # slice_matrix holds each unordered pair once; order by score, then names (stable)
        found.sort(key=lambda p: (-p.score, -p.tokens, p.a, p.b))
        return found

    def html(self, names):
        """copydetect's report, its temporary file names replaced by submission names."""
        page = self.detector.generate_html_report(output_mode="return") or ""
        for path, sub in sorted(self.by_path.items(), key=lambda kv: -len(kv[0])):
            page = page.replace(path, html.escape(names.get(sub, sub)))
        return page


# ----- the terminal ----------------------------------------------------------------
def describe_fragments(code, slices, count):
    """The `count` longest shared spans of one side: where they are, and their code."""
    spans = sorted(zip(slices[0], slices[1]), key=lambda s: (s[0] - s[1], s[0]))[:count]
    lines = []
    for start, end in sorted(spans):
        start, end = int(start), int(end)
        label, first = code.where(start)
        end_label, last = code.where(max(start, end - 1))
        where = (f"lines {first}-{last}" if end_label == label else
                 f"line {first} to {printable(end_label)}, line {last}")
        lines.append(f"      {printable(label)}, {where}:")
        line_start = code.text.rfind("\n", 0, start) + 1
        text = code.text[line_start:end].splitlines()
        for ln in text[:FRAGMENT_LINES]:
            lines.append("        | " + printable(ln.rstrip())[:120])
        if len(text) > FRAGMENT_LINES:
            lines.append(f"        | ... ({len(text) - FRAGMENT_LINES} more lines)")
    return lines


def display_names(submissions, people):
    out = {}
    for sub in submissions:
        who = "; ".join(people.get(sub, {}).get("names", []))
        out[sub] = f"{sub} ({who})" if who else sub
    return out


def listing(pairs, codes, names, top, fragments):
    lines = []
    for rank, p in enumerate(pairs[:top], 1):
        lines.append(f"{rank:3d}. {p.score:6.1%}  {printable(names[p.a])}  <->  {printable(names[p.b])}")
        lines.append(f"      shares {p.share_a:.0%} of the first's compared code and {p.share_b:.0%} "
                     f"of the second's ({p.tokens} tokens)")
        if fragments:
            lines.append(f"    longest shared fragments in {printable(p.a)}:")
            lines += describe_fragments(codes[p.a], p.slices_a, fragments)
            lines.append(f"    and in {printable(p.b)}:")
            lines += describe_fragments(codes[p.b], p.slices_b, fragments)
    return lines


# ----- the command -----------------------------------------------------------------
def build_parser():
    p = argparse.ArgumentParser(
        prog="nlpgrade similarity",
        description="Compare every pair of submissions of a Gradescope export for shared code "
                    "(copydetect), ignoring the starter template and the provided code.")
    p.add_argument("assignment", help="assignment name, e.g. a2")
    p.add_argument("submissions", help="the unzipped export: submission folders and submission_metadata.yml")
    p.add_argument("--top", type=int, default=20, help="pairs listed on the terminal (default 20)")
    p.add_argument("--out", help="the HTML report (default: EXPORT-similarity.html beside the export)")
    p.add_argument("--fragments", type=int, default=2,
                   help="longest shared fragments shown per side of a listed pair (default 2; 0: none)")
    p.add_argument("--min-tokens", type=int, default=MIN_TOKENS,
                   help="list only pairs sharing at least this many tokens of code "
                        f"(default {MIN_TOKENS}, a few lines)")
    p.add_argument("--threshold", type=float, default=None,
                   help="pairs sharing more than this fraction are shown in the HTML report "
                        "(default: copydetect's 0.33, lowered so that the listed pairs are in it)")
    return p


def default_report(export):
    export = os.path.normpath(export)
    return os.path.join(os.path.dirname(export), os.path.basename(export) + "-similarity.html")


def main(argv=None):
    args = build_parser().parse_args(argv)

    def fail(message, status=2):
        print(f"nlpgrade similarity: {message}", file=sys.stderr)
        return status

    if args.top < 1 or args.fragments < 0 or args.min_tokens < 0:
        return fail("--top must be positive, --fragments and --min-tokens not negative")
    if args.threshold is not None and not 0 <= args.threshold <= 1:
        return fail("--threshold is a fraction between 0 and 1")
    export = os.path.abspath(args.submissions)
    if not os.path.isdir(export):
        return fail(f"{args.submissions} is not a folder")
    try:
        assignment = configmod.load(args.assignment)
    except configmod.ConfigError as exc:
        return fail(str(exc))
    if not code_files(assignment):
        return fail(f"{assignment.name} has no code files to compare (student_files: "
                    f"{', '.join(assignment.student_files)})")
    out = os.path.abspath(args.out or default_report(export))
    if os.path.isdir(out) or not os.path.isdir(os.path.dirname(out)):
        return fail(f"cannot write the report to {out}: give --out a file in an existing folder")

    people, warning = batch.read_metadata(export)
    if warning:
        print(f"nlpgrade similarity: warning: {warning}", file=sys.stderr)
    submissions = batch.find_submissions(export)
    if not submissions:
        return fail(f"{args.submissions} holds no submission folders: is it the unzipped "
                    "Gradescope export?", 1)
    names = display_names(submissions, people)

    workdir = tempfile.mkdtemp(prefix="nlpgrade-similarity-")  # 0700: student code
    try:
        codes, skipped = [], []
        for sub in submissions:
            code = submission_code(assignment, export, sub)
            for problem in code.problems:
                print(f"nlpgrade similarity: {printable(sub)}: {printable(problem)}", file=sys.stderr)
            (codes if code.text.strip() else skipped).append(code)
        if skipped:
            print(f"nlpgrade similarity: not compared (no readable code): "
                  + ", ".join(printable(c.name) for c in skipped), file=sys.stderr)
        if len(codes) < 2:
            return fail(f"{len(codes)} submission(s) with code to compare; nothing to do", 1)
        starters = starter_code(assignment, workdir)
        for problem in (p for c in starters for p in c.problems):
            print(f"nlpgrade similarity: warning: starter code: {problem}", file=sys.stderr)

        # The report's threshold is lowered, if need be, so that every pair listed here
        # is in the HTML too (copydetect shows the pairs above display_t).
        threshold = DISPLAY_T if args.threshold is None else args.threshold
        comparison = Comparison(codes, starters, workdir, threshold, out)
        shared = comparison.pairs()
        pairs = [p for p in shared if p.tokens >= args.min_tokens]
        if args.threshold is None:
            listed = [p.score for p in pairs[:args.top]]
            if listed and min(listed) <= threshold:
                # a pair is shown when either of its shares passes display_t
                comparison.detector.conf.display_t = max(0.0, min(listed) - 1e-9)
        page = comparison.html(names)
        try:
            batch.write_private(out, page)
        except OSError as exc:
            return fail(f"cannot write the report to {out} ({exc.strerror})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    codes_by_name = {c.name: c for c in codes}
    total = len(codes) * (len(codes) - 1) // 2
    print(f"{assignment.name}: {len(codes)} submissions compared ({total} pairs); "
          f"{len(pairs)} pairs share {args.min_tokens} or more tokens beyond the starter code"
          + (f" ({len(shared) - len(pairs)} share less)" if len(shared) > len(pairs) else ""))
    if pairs:
        print("most similar pairs (score: the larger share of one's compared code found in the other):")
        print("\n".join(listing(pairs, codes_by_name, names, args.top, args.fragments)))
    print(f"report: {out}")
    return 0
