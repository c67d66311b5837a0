#!/usr/bin/env bash
# The one prepared device check (docs/gpu.md): builds the standalone GPU
# test-and-bench program with CMake (CUDA 13, no Node needed) and runs it
# once on generated data, GPU against the CPU cores: top-K on 50,000 x 1,000
# and 1,000,000 x 1,000 float32 (both criteria, with and without the
# transfer), pooling, and Dawid-Skene EM on 1M and 50M raters-like answers.
#
#   bench/gpu-check.sh [results.json]     (default: $OUT/gpu-check.json if $OUT is set,
#                                          else bench/results/gpu-check.json)
#
# Budget: <= 8 minutes in all (build ~2 min on 16 cores, run <= 6 min). The
# JSON is rewritten after every case, so a run cut short keeps what it did.
# Exit status: the program's (0 all equal, 1 a mismatch, 2 no GPU, 124 timeout).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-${OUT:+$OUT/gpu-check.json}}
out=${out:-bench/results/gpu-check.json}
mkdir -p "$(dirname "$out")"
build=build-gpu-check
start=$(date +%s)
nvcc_bin=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
cmake -S . -B "$build" -DREALABEL_CUDA=ON -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_COMPILER="$nvcc_bin" >/dev/null
cmake --build "$build" --target realabel_gpu_check -j "$(nproc)" >/dev/null
echo "gpu-check: built in $(( $(date +%s) - start )) s; running (cases are logged below as they finish)" >&2
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >&2 || true
left=$(( 480 - ( $(date +%s) - start ) ))
rc=0
timeout "$left" "$build/realabel_gpu_check" --out "$out" >/dev/null || rc=$?
echo "gpu-check: exit $rc after $(( $(date +%s) - start )) s; results in $out" >&2
exit "$rc"
