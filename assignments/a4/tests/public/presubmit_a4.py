"""What `python -m autograder submit` checks in an a4 folder before it packs anything
(config "pre_submit"): that model.bin (with model.json beside it) is a model the grader
can load: readable by the provided model_io without running code, under 60 MB, and
holding the parameters of the NMT the handout fixes, over the full subword vocabulary.
The public tests never read model.bin; without this, a missing or unloadable model is
packed and scores 0 on the held-out BLEU test.

It reads the student's own files on the student's machine. The model file is read in a
subprocess, by the provided model_io of this folder, so nothing of the folder is
imported into the command's process.
"""
import json
import os
import subprocess
import sys

TRAIN = "python vocab.py` once, then `python run.py train"
READ = r'''
import json
import model_io, vocab
try:
    sizes, state, _ = model_io.read_model_file("model.bin")
except model_io.ModelFileError as exc:
    print(json.dumps({"error": str(exc)}))
else:
    print(json.dumps({"sizes": {k: v for k, v in sizes.items() if isinstance(v, (int, float, str))},
                      "shapes": {str(k): list(v.shape) for k, v in state.items()},
                      "vocab": [vocab.SRC_VOCAB_SIZE, vocab.TGT_VOCAB_SIZE]}))
'''


def parameter_shapes(embed, hidden, n_src, n_tgt):
    """{state_dict name: shape} of the NMT the handout fixes (as a4_inputs.parameter_shapes)."""
    e, h = embed, hidden
    shapes = {"model_embeddings.source.weight": [n_src, e], "model_embeddings.target.weight": [n_tgt, e]}
    for suffix in ("l0", "l0_reverse"):
        shapes.update({"encoder.weight_ih_" + suffix: [4 * h, e], "encoder.weight_hh_" + suffix: [4 * h, h],
                       "encoder.bias_ih_" + suffix: [4 * h], "encoder.bias_hh_" + suffix: [4 * h]})
    shapes.update({"decoder.weight_ih": [4 * h, e + h], "decoder.weight_hh": [4 * h, h],
                   "decoder.bias_ih": [4 * h], "decoder.bias_hh": [4 * h],
                   "h_projection.weight": [h, 2 * h], "c_projection.weight": [h, 2 * h],
                   "att_projection.weight": [h, 2 * h], "combined_output_projection.weight": [h, 3 * h],
                   "target_vocab_projection.weight": [n_tgt, h]})
    return shapes


def check(folder):
    """Reasons to refuse the folder's model.bin ([] when the grader can load it)."""
    how = f"Train one (`{TRAIN}`) and submit the model.bin and model.json it saves."
    if not os.path.isfile(os.path.join(folder, "model.bin")):
        return [f"model.bin is not in {folder}: the held-out BLEU test translates with it. {how}"]
    proc = subprocess.run([sys.executable, "-c", READ], cwd=folder, capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    try:
        found = json.loads(lines[-1]) if proc.returncode == 0 and lines else None
    except ValueError:
        found = None
    if found is None:
        return []  # the provided model_io could not run here; the grader still checks the file
    if "error" in found:
        return [f"model.bin cannot be used: {found['error']}. The grader loads it the same way. {how}"]
    sizes, shapes = found["sizes"], found["shapes"]
    n_src, n_tgt = found["vocab"]
    want = parameter_shapes(sizes["embed_size"], sizes["hidden_size"], n_src, n_tgt)
    missing = [k for k in want if k not in shapes]
    extra = [k for k in shapes if k not in want]
    wrong = [f"{k} has shape {tuple(shapes[k])}, wanted {tuple(v)}" for k, v in want.items()
             if k in shapes and shapes[k] != v]
    problems = ([f"it has no {', '.join(missing)}"] if missing else []) + \
               ([f"it has parameters the NMT has not ({', '.join(extra[:5])})"] if extra else []) + wrong
    if problems:
        return [f"model.bin does not fit the NMT the grader builds from its sizes (embed_size "
                f"{sizes['embed_size']}, hidden_size {sizes['hidden_size']}, the full vocabulary of {n_src} "
                f"German and {n_tgt} English pieces): {'; '.join(problems[:6])}. Was model.json written for "
                f"another model? {how}"]
    return []
