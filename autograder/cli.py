"""The `nlpgrade` command (also `python -m autograder`)."""
import argparse
import importlib
import os
import sys

from . import config as configmod


def cmd_grade(args):
    from . import grading, results

    if not os.path.exists(args.path):
        print(f"nlpgrade grade: {args.path} does not exist", file=sys.stderr)
        return 2
    try:
        configmod.load(args.assignment)
    except configmod.ConfigError as exc:
        print(f"nlpgrade grade: {exc}", file=sys.stderr)
        return 2
    res = grading.grade(args.assignment, args.path, hidden=args.hidden, results_path=args.results)
    if res.get("output"):
        print(res["output"])
        print()
    print(results.table(res))
    details = results.reasons(res)
    if details:  # the table shows the start of each reason; here every one in full
        print("\nWhat each failed test found:\n")
        print(details)
    print(f"\nresults written to {args.results}")
    return 0


def cmd_templates(args):
    from . import templates

    solutions = os.path.join(configmod.ROOT, "solutions")
    template_root = os.path.join(configmod.ROOT, "student_template")
    if args.check:
        stale = templates.stale_files(solutions, template_root)
        if stale:
            print("student_template/ is stale; run `nlpgrade templates`:")
            for path in stale:
                print(f"  {path}")
            return 1
        print("student_template/ is up to date")
        return 0
    written = templates.write_all(solutions, template_root)
    print(f"wrote {len(written)} files under student_template/")
    return 0


# Subcommands with a module of their own: name -> (module, function(argv) -> exit status, help).
DELEGATED = {
    "data": ("data", "main", "fill data/ from the mirror, checking sha256"),
    "release": ("release", "main", "build the student zip and the Gradescope autograder zip"),
    "emulate": ("emulate", "main", "run an autograder zip on a submission as Gradescope would"),
    "batch": ("batch", "main", "regrade a folder of exported submissions into a CSV"),
    "report": ("report", "main", "write an HTML class report of a regrade made by batch"),
    "similarity": ("similarity", "main", "compare every pair of exported submissions for shared code (copydetect)"),
    "vectors": ("vectors.cli", "main", "train word vectors on the Wikipedia corpus (instructors)"),
    "check": ("student", "check_main", "students: run the public checks on this folder"),
    "submit": ("student", "submit_main", "students: run the public checks, then zip the submission"),
}


def build_parser():
    parser = argparse.ArgumentParser(prog="nlpgrade", description="Grade CS224N-style assignments.")
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("grade", help="grade one submission and write results.json")
    g.add_argument("assignment", help="assignment name, e.g. a2")
    g.add_argument("path", help="a folder or a zip of the submitted files")
    g.add_argument("--hidden", action="store_true", help="also run the hidden tests")
    g.add_argument("--results", default="results.json", help="where to write results.json")
    g.set_defaults(func=cmd_grade)

    t = sub.add_parser("templates", help="regenerate student_template/ from solutions/")
    t.add_argument("--check", action="store_true", help="only report stale files (exit 1 if any)")
    t.set_defaults(func=cmd_templates)

    for name, (_, _, text) in DELEGATED.items():
        sub.add_parser(name, help=f"{text} (see `nlpgrade {name} --help`)")
    return parser


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] and argv[0] in DELEGATED:  # these parse their own options
        module_name, function, _ = DELEGATED[argv[0]]
        module = importlib.import_module(f".{module_name}", __package__)
        return getattr(module, function)(argv[1:])
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
