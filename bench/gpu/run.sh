#!/usr/bin/env bash
# The GPU run: on a Linux x86-64 machine with an NVIDIA GPU, no browser, no network and no node_modules, from the
# payload bench/gpu/pack.sh made (bench/gpu/payload/webgrad-gpu.tar.xz, carried as an ignored path):
#   1. the Node gradient checks (test/node/gradcheck.test.ts) under the cpu and the gpu tuning profile;
#   2. the bench through the Node runtime on Dawn (--runtime node --tuning both): webgrad beside the peers that run in
#      Node (onnxruntime-web's wasm CPU column), the matmul ladder and the DAR small and paper steps, beside the
#      PyTorch reference (bench/torch_dar_step.py) on CUDA when python3 has torch with CUDA.
# Writes bench/results/<date>-<gpu>.json, its section of bench/RESULTS.md and run.log, copied to $OUT when set.
#
#   bench/gpu/run.sh            the full run (timeouts: 90 s per gradient-check suite, 300 s for the bench)
#   bench/gpu/run.sh --quick    a small run: both gradient-check suites, one compare row, DAR small (tests the payload)
# Environment: VK_ICD_FILENAMES (a Vulkan driver manifest; default: the system's, or one written for the NVIDIA
# driver's libGLX_nvidia.so.0), WEBGRAD_PYTHON (default python3).
set -u -o pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
QUICK=0
[ "${1:-}" = --quick ] && QUICK=1
OUTDIR=${OUT:-$ROOT/bench/gpu/out}
mkdir -p "$OUTDIR"
LOG=$OUTDIR/run.log
: >"$LOG"
say() { echo "$@" | tee -a "$LOG"; }
T0=$(date +%s)
since() { echo "$(($(date +%s) - T0)) s"; }

PAYLOAD=bench/gpu/payload/webgrad-gpu.tar.xz
if [ ! -f "$PAYLOAD" ]; then
  say "no $PAYLOAD: run bench/gpu/pack.sh on a machine with the repository's node_modules first"
  exit 2
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/webgrad-gpu-XXXXXX")
trap 'rm -rf "$WORK"' EXIT
tar -xJf "$PAYLOAD" -C "$WORK"
NODE=$WORK/node
export LD_LIBRARY_PATH=$WORK/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
say "payload: $(du -h "$PAYLOAD" | cut -f1) unpacked in $(since); node $("$NODE" --version)"
say "machine: $(nproc) cores, $(uname -sr); GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'nvidia-smi not found')"

# The NVIDIA driver's Vulkan driver: containers often have the library without its manifest; write one if so.
if [ -z "${VK_ICD_FILENAMES:-}" ] && ! ls /etc/vulkan/icd.d/nvidia*.json /usr/share/vulkan/icd.d/nvidia*.json >/dev/null 2>&1; then
  GLX=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia.so.0/ {print $NF; exit}')
  if [ -n "$GLX" ]; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$GLX" >"$WORK/nvidia_icd.json"
    export VK_ICD_FILENAMES=$WORK/nvidia_icd.json
    say "vulkan: no NVIDIA manifest installed; using $GLX through $VK_ICD_FILENAMES"
  else
    say "vulkan: no NVIDIA Vulkan driver found (no manifest, no libGLX_nvidia.so.0): Dawn will take what it finds"
  fi
fi
say "vulkan: VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-(system drivers)}"

STATUS=0
# 1. Gradient checks, one process per profile (the profile is fixed for a runtime's life).
for P in cpu gpu; do
  say ""
  say "== gradient checks, tuning $P ($(since))"
  WEBGRAD_TUNING=$P timeout 90 "$NODE" "$WORK/gradcheck.mjs" 2>&1 | tee -a "$LOG" || STATUS=1
done

# 2. The bench. PyTorch on CUDA when it is there; otherwise the DAR rows say why torch is missing.
PY=${WEBGRAD_PYTHON:-python3}
TORCH=(--no-torch)
if CUDA=$("$PY" -c 'import torch; assert torch.cuda.is_available(), "torch without CUDA"; print(torch.__version__, torch.cuda.get_device_name(0))' 2>&1); then
  export TORCH_DEVICE=cuda WEBGRAD_PYTHON=$PY
  TORCH=()
  say "torch: $CUDA"
else
  say "torch: not used, PyTorch with CUDA is not available here ($PY: $(echo "$CUDA" | tail -1))"
fi
# A quick run saves into $OUTDIR only (its numbers are no results); a full one into bench/ as well.
if [ $QUICK = 1 ]; then
  ARGS=(--only compare,dar --filter "Linear 128→512 Y=X·W" --presets small --dar-steps 1 --runs 2 --target-ms 50
    --results-dir "$OUTDIR")
else
  ARGS=(--only ladder,compare,dar --runs 3 --target-ms 200 --budget-ms 3000)
fi
say ""
say "== bench ($(since)): --runtime node --tuning both ${ARGS[*]} ${TORCH[*]}"
touch "$WORK/before-bench"
timeout 300 "$NODE" "$WORK/bench.mjs" --runtime node --tuning both --save "${ARGS[@]}" "${TORCH[@]}" 2>&1 | tee -a "$LOG" || STATUS=1
if [ $QUICK = 0 ]; then
  find bench/results -newer "$WORK/before-bench" -type f -exec cp {} "$OUTDIR/" \;
  cp bench/RESULTS.md "$OUTDIR/"
fi
say ""
say "done in $(since), status $STATUS; results in $OUTDIR$([ $QUICK = 0 ] && echo ' and bench/results/')"
exit $STATUS
