#!/usr/bin/env bash
# The GPU checks of genzoo, for a fresh machine with a bare Python 3 and no internet: run from the repository root.
#
#   OUT=/some/dir bash benchmarks/gpu_check.sh           # the full check (about 4 minutes on an H200)
#   OUT=/some/dir bash benchmarks/gpu_check.sh --quick   # a smoke run of the same steps (seconds to a minute)
#   DEVICE=cpu INSTALL=0 OUT=/tmp/x bash benchmarks/gpu_check.sh --quick   # the script checked without CUDA
#
# 1. checks that torch imports (it is not installed here: the machine is offline) and that it sees CUDA; installs
#    genzoo itself without dependencies, and its pure-Python dependencies from benchmarks/wheels/ where that folder
#    exists (fill it on a connected machine: pip download -d benchmarks/wheels numpy pillow pyyaml tqdm scipy);
# 2. python benchmarks/run.py throughput --device cuda: the float32 matmul peak, every model's training images/s and
#    share of that peak, AIS on a 784-500 RBM -> benchmarks/results/throughput.json, copied to $OUT;
# 3. a torchrun smoke: a VAE and a DCGAN trained data-parallel (NCCL) on one GPU and, where there are two, on two,
#    on synthetic images in an image folder; each checkpoint sampled on the CPU in one process -> $OUT/torchrun/;
# 4. mixed precision: a VAE, a DCGAN and a WGAN-GP trained at --precision 32, bf16 and 16-mixed (CUDA only) on the
#    same images in one process, each sampled on the CPU -> $OUT/torchrun/.
# Everything it prints is also in $OUT/gpu_check.log.
set -uo pipefail

QUICK=""
if [ "${1:-}" = "--quick" ]; then QUICK="--quick"; fi
OUT="${OUT:-benchmarks/results/gpu_check}"
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1
PYTHON="${PYTHON:-python3}"
DEVICE="${DEVICE:-cuda}"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"   # genzoo from this checkout, installed or not

echo "== genzoo GPU check, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
    echo "genzoo GPU check: torch does not import with $PYTHON, and this machine cannot download it;" \
         "use a Python that has torch (PYTHON=/path/to/python3 bash benchmarks/gpu_check.sh)"
    exit 2
fi
"$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
      "devices", [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())])'
if [ "$DEVICE" = cuda ] && ! "$PYTHON" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    echo "genzoo GPU check: torch sees no CUDA device here; nothing to check on a GPU"
    exit 2
fi
if [ "${INSTALL:-1}" = 1 ]; then   # INSTALL=0 leaves the Python's packages alone
    if [ -d benchmarks/wheels ]; then
        "$PYTHON" -m pip install --no-index --find-links benchmarks/wheels numpy pillow pyyaml tqdm scipy \
            || echo "(some wheels in benchmarks/wheels did not install)"
    fi
    "$PYTHON" -m pip install --no-deps --no-build-isolation -e . >/dev/null 2>&1 \
        || echo "(genzoo not installed with pip; it runs from this checkout through PYTHONPATH)"
fi
MISSING=$("$PYTHON" -c '
import importlib.util
print(" ".join(m for m in ("numpy", "PIL", "yaml", "tqdm", "scipy") if importlib.util.find_spec(m) is None))')
if [ -n "$MISSING" ]; then
    echo "genzoo GPU check: missing Python modules: $MISSING; this machine is offline: put their wheels in" \
         "benchmarks/wheels (pip download -d benchmarks/wheels numpy pillow pyyaml tqdm scipy) and run again"
    exit 2
fi
STATUS=0

echo "== throughput on $DEVICE"
if "$PYTHON" -m benchmarks.run throughput --device "$DEVICE" $QUICK --quiet; then
    cp benchmarks/results/throughput*.json "$OUT/"
else
    echo "throughput benchmark FAILED"; STATUS=1
fi

echo "== torchrun smoke"
GPUS=$([ "$DEVICE" = cuda ] && "$PYTHON" -c 'import torch; print(min(2, torch.cuda.device_count()))' || echo 2)
SMOKE="$OUT/torchrun"
rm -rf "$SMOKE" && mkdir -p "$SMOKE"
"$PYTHON" - "$SMOKE/images" <<'EOF'
import sys
from pathlib import Path

import numpy as np
from PIL import Image

folder = Path(sys.argv[1])   # 512 random 28x28 grey images in ten class folders: a dataset without a download
rng = np.random.default_rng(0)
for i in range(512):
    (folder / str(i % 10)).mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(folder / str(i % 10) / f"{i}.png")
EOF
STEPS=$([ -n "$QUICK" ] && echo 20 || echo 300)
RANKS=$([ "$GPUS" -gt 1 ] && echo "1 $GPUS" || echo 1)   # with two GPUs, one rank and two: the scaling
for MODEL in vae dcgan; do
    SETTINGS=(--set data.image_size=28 --set data.channels=1 --set train.batch_size=64)
    if [ "$MODEL" = dcgan ]; then SETTINGS+=(--set model.generator_width=32 --set model.discriminator_width=32); fi
    for N in $RANKS; do
        RUN="$SMOKE/$MODEL-$N"
        if "$PYTHON" -m torch.distributed.run --standalone --nproc_per_node "$N" -m genzoo train "$MODEL" \
                --data "folder:$SMOKE/images" --max-steps "$STEPS" --out "$RUN" --quiet --device "$DEVICE" \
                "${SETTINGS[@]}" \
            && "$PYTHON" -m genzoo sample "$RUN" -n 16 --out "$RUN-samples.png" --device cpu; then
            echo "torchrun $MODEL on $N rank(s), $DEVICE: trained (the time above: $STEPS steps of a global batch of 64, the" \
                 "training alone), its checkpoint sampled on the CPU in one process"
        else
            echo "torchrun $MODEL on $N rank(s), $DEVICE: FAILED"; STATUS=1
        fi
    done
done
echo "== mixed precision smoke"
PRECISIONS=$([ "$DEVICE" = cuda ] && echo "32 bf16 16-mixed" || echo "32 bf16")   # 16-mixed needs CUDA
for MODEL in vae dcgan wgan-gp; do
    for P in $PRECISIONS; do
        RUN="$SMOKE/$MODEL-precision-$P"
        if "$PYTHON" -m genzoo train "$MODEL" --data "folder:$SMOKE/images" --max-steps "$STEPS" --out "$RUN" --quiet \
                --device "$DEVICE" --precision "$P" --set data.image_size=28 --set data.channels=1 \
                --set train.batch_size=64 \
            && "$PYTHON" -m genzoo sample "$RUN" -n 16 --out "$RUN-samples.png" --device cpu; then
            echo "$MODEL at precision $P on $DEVICE: trained (the time above: $STEPS steps of a batch of 64) and sampled"
        else
            echo "$MODEL at precision $P on $DEVICE: FAILED"; STATUS=1
        fi
    done
done
echo "== done (status $STATUS); results in $OUT"
exit $STATUS
