#!/usr/bin/env bash
# The prepared GPU check of issue #8, for a session that is lent an NVIDIA GPU (JAX with CUDA already installed
# there, no network). Run from the repository root:
#
#   JAXML_DATA=/path/to/cs229-ps2 bash benchmarks/gpu_check.sh        # DATA optional: synthetic without it
#
# 1. the whole test suite with JAX_PLATFORMS=cuda (the multi-device tests force CPU devices in their children);
# 2. the benchmarks on the GPU (their "GPU" section: each benchmark with JAX on the GPU, the verifier at
#    100,000 points, and the batch-norm backward, hand custom_vjp vs autodiff at 4096 x 1024 float32, against the
#    memory-bandwidth floor), written to $OUT/RESULTS-gpu.md.
set -uo pipefail
OUT="${OUT:-/tmp/jaxml-gpu}"
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"   # no pip install: the machine has no package index
export JAXML_COMPILATION_CACHE=0 MPLBACKEND=Agg
python -c "import jax; print('devices:', jax.devices())" | tee "$OUT/devices.txt"
JAX_PLATFORMS=cuda python -m pytest -q -x -p no:cacheprovider 2>&1 | tail -25 | tee "$OUT/pytest-cuda.txt"
python benchmarks/run.py ${JAXML_DATA:+--data "$JAXML_DATA"} --no-reproduce \
  --only gradient_ascent svm_sweep double_descent batchnorm verify --out "$OUT/RESULTS-gpu.md" 2>&1 | tail -5
