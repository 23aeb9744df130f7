#!/usr/bin/env bash
# Measures the shipped bundles (run after scripts/train_zoo.sh, on the GPU): FID/KID/PR in the project's
# classifier feature space for the diffusion models, real-vs-real baselines, and the DDPM speed benchmark.
# Usage: bash scripts/measure_zoo.sh OUTDIR [evals|speed|all]
set -uo pipefail
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export GENVISION_HOME="${GENVISION_HOME:-$PWD/.gpu/home}"
OUT="${1:-out/zoo}"; WHAT="${2:-all}"
mkdir -p "$OUT/logs" src/genvision/zoo
for run in runs/fashion-*/; do  # the zoo as trained by scripts/train_zoo.sh (also in a fresh working tree)
  name=$(basename "$run"); [ -d "src/genvision/zoo/$name" ] || cp -r "$run/bundle" "src/genvision/zoo/$name"
done
GV="python3 -m genvision.cli.main"
ev() { local name=$1; shift; echo "== $(date +%T) eval $name"; $GV eval "$@" --json "$OUT/logs/eval_$name.json" --quiet 2>&1 | tail -12; }

if [ "$WHAT" != speed ]; then
  timeout 240 python3 benchmarks/inpaint_eval.py fashion-ldm fashion-ddpm --n 300 --batch-size 300 \
    --json "$OUT/logs/inpaint_eval.json" --readme "$OUT/logs/inpaint_README.md" > "$OUT/logs/inpaint_eval.log" 2>&1 &
  ev real_train_vs_test_10k --samples fashion-mnist:train --reference fashion-mnist:test --n 10000
  ev real_train_vs_test_1k --samples fashion-mnist:train --reference fashion-mnist:test --n 1000
  ev ddpm_ddim50 fashion-ddpm --sampler ddim --steps 50 --n 10000 --batch-size 2500
  ev ddpm_dpmpp20 fashion-ddpm --sampler dpmpp --steps 20 --n 10000 --batch-size 2500
  ev ddpm_ddpm1000 fashion-ddpm --sampler ddpm --steps 1000 --n 5000 --batch-size 2500
  ev ldm_ddim50 fashion-ldm --sampler ddim --steps 50 --n 10000 --batch-size 2500
  wait
fi
if [ "$WHAT" != evals ]; then
  echo "== $(date +%T) ddpm speed"
  timeout 300 python3 benchmarks/ddpm_speed.py --config configs/ddpm_fashion_large.yaml --device cuda \
    --train-batch 128 1024 --sample-batch 2500 2>&1 | tail -20
  timeout 120 python3 benchmarks/ddpm_speed.py --config configs/ddpm_fashion.yaml --device cuda \
    --train-batch 512 --sample-batch 2500 2>&1 | tail -8
fi
echo "== $(date +%T) measured"
tar -czf "$OUT/measure_logs.tar.gz" -C "$OUT" logs
