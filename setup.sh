#!/usr/bin/env bash
# Sets up everything optbench needs, from scratch, in ./.venv:
#   - CPU PyTorch (pinned: an unpinned `torch` can pull a multi-GB CUDA build),
#   - optbench itself, editable, with the dev tools (pytest, hypothesis, ruff, import-linter)
#     and Ray (the cluster executor),
#   - optbench's native code (the stacked MLPs' step, update kernels), compiled for this machine,
#   - Debian's dataset-fashion-mnist package: real data that needs no download.
# Safe to run again; it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")"

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)

if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  "${pip[@]}" "torch==2.13.0" || "${pip[@]}" torch
fi
if ! .venv/bin/python -c "import ray" 2>/dev/null; then  # the cluster executor (tests use it)
  "${pip[@]}" "ray==2.60.0" || "${pip[@]}" "ray>=2.9"
fi
"${pip[@]}" -e '.[dev,ray]'
# optbench's compiled code: the training step of stacked MLPs and the optimizers' update
# kernels (~25 s, once per machine; optional: without a C++ compiler, studies train on the
# Python paths).
.venv/bin/python -m optbench.native

fashion=/usr/share/datasets/fashion-mnist
if [ ! -d "$fashion" ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null \
      || echo "note: could not install dataset-fashion-mnist; use --dataset digits offline" >&2
  else
    echo "note: for offline Fashion-MNIST run: sudo apt-get install dataset-fashion-mnist" >&2
  fi
fi
echo "optbench is ready: .venv/bin/optbench --help"
