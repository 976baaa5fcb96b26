"""Turning what a student uploaded (a folder or a zip) into a staged sandbox folder.

We keep only the files the assignment grades, wherever they sit in the upload (students
often zip a folder), and supply the provided modules from the reference ourselves, so a
student cannot replace them. Every choice made is reported in `notes`.
"""
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass, field

MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 10000
SKIP_DIRS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints"}


class SubmissionProblem(Exception):
    """The upload itself is unusable (not a zip, dangerous paths, too big)."""


@dataclass
class Submission:
    files: dict = field(default_factory=dict)     # graded relative path -> file on disk
    missing: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def entry_parts(name):
    """The parts of a zip entry's path if it stays inside the folder it is unpacked into
    (no absolute path, no '..'), else None. Bytes or text, as given."""
    sep, back, dot, up = ("/", "\\", ".", "..") if isinstance(name, str) else (b"/", b"\\", b".", b"..")
    name = name.replace(back, sep)
    parts = [p for p in name.split(sep) if p and p != dot]
    if name.startswith(sep) or up in parts or not parts:
        return None
    return parts


def safe_unzip(zip_path, dest, caps=True, path_of=None):
    """Extract a zip, refusing absolute paths, '..', links and (with `caps`, for a
    student's zip) zip bombs. `path_of(info)` gives an entry's path (default its name)."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SubmissionProblem(f"{os.path.basename(zip_path)} is not a valid zip file ({exc})") from None
    with archive:
        infos = archive.infolist()
        if caps and len(infos) > MAX_ZIP_ENTRIES:
            raise SubmissionProblem(f"the zip holds {len(infos)} entries (limit {MAX_ZIP_ENTRIES})")
        if caps and sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
            raise SubmissionProblem(f"the zip unpacks to more than {MAX_UNZIPPED_BYTES >> 20} MiB")
        for info in infos:
            name = path_of(info) if path_of else info.filename
            parts = entry_parts(name)
            if parts is None:
                continue  # never write outside dest
            if stat.S_ISLNK(info.external_attr >> 16):
                continue
            target = os.path.join(os.fsencode(dest) if isinstance(name, bytes) else dest, *parts)
            if info.is_dir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            try:
                with archive.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
            except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
                raise SubmissionProblem(f"could not unpack {os.fsdecode(name)} from the zip ({exc})") from None


def all_files(top):
    found = []
    for root, dirs, files in os.walk(top):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = os.path.join(root, name)
            if os.path.isfile(path) and not os.path.islink(path):
                found.append(os.path.relpath(path, top).replace(os.sep, "/"))
    return found


def collect(path, wanted, scratch, starter=()):
    """Find each wanted file in the upload at `path` (a folder or a zip).

    `starter` lists the other files of the starter code (provided modules, scripts):
    finding those is expected and not worth a note."""
    sub = Submission()
    if not os.path.exists(path):
        raise SubmissionProblem(f"{path} does not exist")
    top = path
    if os.path.isfile(path):
        top = os.path.join(scratch, "unpacked")
        os.makedirs(top, exist_ok=True)
        safe_unzip(path, top)
    available = all_files(top)
    for want in wanted:
        # The shallowest file whose path ends with the wanted relative path.
        matches = sorted((p for p in available if p == want or p.endswith("/" + want)),
                         key=lambda p: (p.count("/"), p))
        if not matches and want.endswith(".ipynb"):
            # Jupyter and browsers rename downloads ("... (1).ipynb", "Copy of ..."):
            # a single notebook in the upload is the one meant.
            notebooks = [p for p in available if p.endswith(".ipynb")]
            matches = notebooks if len(notebooks) == 1 else []
        if not matches:
            sub.missing.append(want)
            continue
        sub.files[want] = os.path.join(top, matches[0])
        if matches[0] != want:
            sub.notes.append(f"using {matches[0]} as {want}")
        if len(matches) > 1:
            sub.notes.append(f"{want}: several copies found; graded {matches[0]}, ignored "
                             + ", ".join(matches[1:]))
    for want in wanted:
        if want.endswith(".ipynb"):
            sub.notes += notebook_notes(want, sub.files.get(want), top,
                                        [p for p in available if p.endswith(".ipynb")])
    used = {os.path.relpath(p, top).replace(os.sep, "/") for p in sub.files.values()}
    starter = set(starter)
    ignored = [p for p in available if p not in used and p not in starter
               and not any(p.endswith("/" + s) for s in starter)]
    if ignored:
        shown = ", ".join(ignored[:10]) + (f" and {len(ignored) - 10} more" if len(ignored) > 10 else "")
        sub.notes.append(f"not graded (not part of this assignment): {shown}")
    return sub


def notebook_notes(want, graded, top, notebooks):
    """Notes when the upload holds several notebooks and the choice may be the wrong one:
    the graded notebook is still the starter (its functions are stubs, checks.stubs)
    while another notebook writes them; or none has the wanted name."""
    from .checks import stubs  # it reads source only; imported here to keep this module light

    def functions_of(rel):
        text = stubs.read_limited(os.path.join(top, rel))
        if text is None:
            return {}, set()
        found = stubs.functions(stubs.code_cells(text))
        return found, {s.name for s in stubs.Stubs.analyse({want: text}).stubs}

    if graded is None:
        if len(notebooks) > 1:
            return [f"{want}: not found, and several other notebooks are in your upload "
                    f"({', '.join(notebooks[:5])}): name the one to grade {want}"]
        return []
    graded_rel = os.path.relpath(graded, top).replace(os.sep, "/")
    others = [p for p in notebooks if p != graded_rel]
    if not others:
        return []
    _, unwritten = functions_of(graded_rel)
    if not unwritten:
        return []
    notes = []
    for rel in others[:5]:
        defined, their_stubs = functions_of(rel)
        written = sorted(n for n in unwritten if n in defined and n not in their_stubs)
        if written:
            notes.append(f"graded {graded_rel}, where {', '.join(sorted(unwritten))} "
                         f"{'is' if len(unwritten) == 1 else 'are'} still the starter stub; your upload also "
                         f"holds {rel}, which writes {', '.join(written)}: to have that one graded, name "
                         f"it {want} (or upload only that notebook)")
    return notes


def copy_provided(source_dir, provided, dest):
    """Copy the grader-provided files (e.g. utils/) from the reference into `dest`."""
    for rel in provided:
        src = os.path.join(source_dir, rel)
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.isdir(src):
            shutil.copytree(src, target, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(src, target)


def stage(submission, provided_from, provided, dest):
    """Lay out a sandbox folder: the provided modules, then the student's files."""
    os.makedirs(dest, exist_ok=True)
    copy_provided(provided_from, provided, dest)
    for rel, src in submission.files.items():
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(src, target)
    return dest
