"""An assignment's own checks of the files `submit` is about to pack (config "pre_submit":
a module path in the assignment folder defining `check(folder) -> [reason, ...]`), for
what the public tests cannot see but the grader would reject, e.g. a3's model.weights of
a debug-mode run. It runs on the student's machine, on the student's own files."""
import importlib.util
import json
import os


def problems(folder):
    """The reasons the assignment's pre-submit check gives to refuse `folder`; [] when it
    declares none or finds nothing."""
    with open(os.path.join(folder, "config.json")) as f:
        rel = json.load(f).get("pre_submit")
    if not rel:
        return []
    spec = importlib.util.spec_from_file_location("_nlpgrade_pre_submit", os.path.join(folder, rel))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [str(reason) for reason in module.check(folder)]
