#!/usr/bin/env bash
# Gradescope runs this once, as root, on Ubuntu 22.04, when it builds the autograder
# image, after unpacking the autograder zip into /autograder/source.
#
# It installs the engine and its pinned dependencies into a virtual environment
# (/autograder/venv: Gradescope's own harness uses the system python3, which must stay
# as it is) and makes the grader's files (reference, hidden tests, hidden data)
# unreadable to other users. Student code runs as a uid leased per grading from a
# reserved range (autograder/sandbox/privileges.py): no user account is needed.
#
# Environment (for `nlpgrade emulate --setup`; Gradescope sets none of these):
#   NLPGRADE_AUTOGRADER_ROOT  the root laid out like /autograder (default /autograder)
#   NLPGRADE_SETUP_SYSTEM=0   skip the system step (apt-get)
#   PYTHON                    the interpreter the venv is made from (default
#                             /usr/bin/python3, the system one, which the sandbox
#                             user can run; a pyenv under /root it could not)
#   NLPGRADE_TORCH_INDEX      extra pip index serving torch's +cpu wheels
#                             (default the PyTorch CPU index; empty: none)
set -euo pipefail

ROOT="${NLPGRADE_AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
VENV="$ROOT/venv"
PYTHON="${PYTHON:-/usr/bin/python3}"
TORCH_INDEX="${NLPGRADE_TORCH_INDEX-https://download.pytorch.org/whl/cpu}"

say() { echo "setup.sh: $*"; }

if [ "${NLPGRADE_SETUP_SYSTEM:-1}" != 0 ]; then
    say "apt-get install python3-venv python3-pip"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends python3-venv python3-pip
else
    say "NLPGRADE_SETUP_SYSTEM=0: skipping apt-get"
fi

say "$PYTHON -m venv $VENV ($("$PYTHON" --version 2>&1))"
"$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --no-cache-dir --disable-pip-version-check)

say "pip install -r $SOURCE/requirements.txt${TORCH_INDEX:+ (torch from $TORCH_INDEX)}"
if [ -n "$TORCH_INDEX" ]; then
    "${PIP[@]}" --extra-index-url "$TORCH_INDEX" -r "$SOURCE/requirements.txt"
else
    "${PIP[@]}" -r "$SOURCE/requirements.txt"
fi

# A normal (not editable) install: the engine lands in the venv's site-packages, which
# the sandbox user must read (its worker is a module of the engine), while
# $SOURCE stays private.
say "pip install $SOURCE (the engine)"
"${PIP[@]}" --no-deps "$SOURCE"
"$VENV/bin/python" -c "import autograder, numpy, torch; print('setup.sh: engine and dependencies import')"

say "permissions: $SOURCE root-only, $VENV readable by all, $ROOT/results root-only"
chmod 700 "$SOURCE"
chmod -R o+rX "$VENV"
chmod o+x "$ROOT"          # sandbox uids pass through to the venv's python
mkdir -p "$ROOT/results"
chmod 700 "$ROOT/results"
say "done"
