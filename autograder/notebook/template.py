"""The student notebook made from the solution notebook, and a plain-text view of one.

The solution notebook is the single source: its code cells carry solution regions. The
student version has each region stubbed (as in .py files), outputs and execution counts
cleared, and everything else (markdown, cell ids, metadata) kept as it was.
"""
import json

from .. import templates


def _read(data, filename):
    import nbformat

    try:
        return nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:  # nbformat raises several unrelated types for bad input
        raise templates.TemplateError(f"{filename}: not a readable notebook ({exc})") from None


def student_notebook(data, filename="<notebook>"):
    """Bytes of the student notebook for the solution notebook `data` (bytes)."""
    import nbformat

    nb = _read(data, filename)
    for number, cell in enumerate(nb.cells, 1):
        if cell.cell_type != "code":
            continue
        if templates.has_regions(cell.source):
            stub = templates.strip_solutions(cell.source, f"{filename} (cell {number})")
            # strip_solutions ends the stub lines with newlines; a cell's last line has none
            cell.source = stub if cell.source.endswith("\n") else stub.rstrip("\n")
        cell.outputs = []
        cell.execution_count = None
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise templates.TemplateError(f"{filename}: the student notebook would be invalid: "
                                      f"{exc.message}") from None
    return (nbformat.writes(nb) + "\n").encode("utf-8")


def source_text(data):
    """The cells' sources of a notebook joined as one text (None if `data` is not a
    notebook), so text searches see lines as written rather than JSON-escaped."""
    if not data.lstrip()[:1] == b"{":
        return None
    try:
        nb = json.loads(data.decode("utf-8"))
        cells = nb["cells"]
        sources = [c.get("source", "") for c in cells]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return "\n".join(s if isinstance(s, str) else "".join(s) for s in sources)
