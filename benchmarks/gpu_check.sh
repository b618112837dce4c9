#!/usr/bin/env bash
# The GPU checks of the speed issue, as one short script for a lent GPU machine:
#   1. the CUDA tests (tests/gpu) and the stacked-vs-separate parity tests, on that machine;
#   2. the seed study with --device cuda: optbench (default workers, and one process) against
#      the plain PyTorch loop on the same GPU, in the same run;
#   3. the 63-trial learning-rate sweep with --device cuda.
#
#   bash benchmarks/gpu_check.sh FASHION_MNIST_DIR OUTPUT_DIR
#
# Needs a python3 with CUDA torch and optbench's dependencies (PYTHONPATH may add them);
# optbench itself runs from ./src. Writes each step's output to OUTPUT_DIR.
set -uo pipefail
data=$1
out=$2
mkdir -p "$out"
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name())" | tee "$out/device.txt"
python3 -m pytest -q -p no:cacheprovider tests/gpu tests/engine/test_engine_stacked.py \
  > "$out/pytest.txt" 2>&1
grep -E "^(FAILED|ERROR|E  )|passed|failed" "$out/pytest.txt" | head -30

seed=(compare --dataset fashion-mnist --data-path "$data" --optimizers adam,adagrad,rmsprop
      --epochs 10 --batch-size 64 --profile keras --device cuda)
for workers in default 1; do
  extra=()
  [ "$workers" = default ] || extra=(--workers "$workers")
  start=$(date +%s.%N)
  python3 -m optbench "${seed[@]}" "${extra[@]}" --out "/tmp/seed-$workers" > "$out/seed-$workers.txt" 2>&1
  code=$?
  echo "optbench seed study on cuda, workers=$workers: exit $code," \
    "$(python3 -c "import time; print(round(time.time() - $start, 1))") s" | tee -a "$out/summary.txt"
done
grep -E "^ (adam|adagrad|rmsprop) " "$out/seed-default.txt" | tee -a "$out/summary.txt"

python3 benchmarks/seed_speed.py --epochs 10 --device cuda --data-path "$data" \
  2>&1 | tee "$out/seed_speed_cuda.txt"
python3 benchmarks/seed_speed.py --epochs 10 --device cuda --data-path "$data" --sweep \
  2>&1 | tee "$out/sweep_cuda.txt"
