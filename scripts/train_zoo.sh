#!/usr/bin/env bash
# Trains every shipped bundle with the project's own recipes on one GPU, lanes in parallel, each under a
# wall-clock budget, then measures them. Usage (repo root): OUT=/some/dir bash scripts/train_zoo.sh
# Needs Fashion-MNIST under $GENVISION_HOME/data/fashion-mnist (or the Debian package).
set -uo pipefail
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export GENVISION_HOME="${GENVISION_HOME:-$PWD/.gpu/home}"
OUT="${OUT:-$PWD/out/zoo}"
mkdir -p "$OUT/logs" runs src/genvision/zoo
GV="python3 -m genvision.cli.main"
ZOO=src/genvision/zoo
SCALE="${BUDGET_SCALE:-1}"   # multiply every time budget (e.g. 0.02 for a CPU smoke run)
secs() { python3 -c "print(max(1.0, $1 * $SCALE))"; }

train() {  # train NAME CONFIG SECONDS [overrides...]: train, then ship the bundle as $ZOO/NAME
  local name=$1 config=$2 budget; budget=$(secs "$3"); shift 3
  echo "== $(date +%T) train $name ($config, ${budget}s)"
  $GV train "$config" "train.max_seconds=$budget" "$@" --out "runs/$name" --quiet > "$OUT/logs/$name.log" 2>&1 \
    && { [[ $name == stage-* ]] || { rm -rf "$ZOO/$name" && cp -r "runs/$name/bundle" "$ZOO/$name"; }; } \
    && cp "runs/$name/metrics.jsonl" "$OUT/logs/$name.metrics.jsonl" \
    && { ls runs/$name/samples/*.png >/dev/null 2>&1 && cp "$(ls runs/$name/samples/*.png | tail -1)" "$OUT/logs/$name.png"; true; } \
    || { echo "!! $name failed"; tail -5 "$OUT/logs/$name.log"; }
  echo "== $(date +%T) done $name"
}

nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
train fashion-classifier configs/classifier_fashion.yaml 45

lane_ddpm() { train fashion-ddpm configs/ddpm_fashion.yaml 200; }
lane_ldm() { train fashion-autoencoder configs/autoencoder_fashion.yaml 60; train fashion-ldm configs/ldm_fashion.yaml 130; }
lane_small() { train fashion-vae configs/vae_fashion.yaml 25; train fashion-vqvae configs/vqvae_fashion.yaml 25;
               train fashion-dcgan configs/dcgan_fashion.yaml 45; train fashion-cgan configs/cgan_fashion.yaml 45; }
lane_style() {  # the GAN, then its in-domain encoder (each stage under its own time budget)
  train stage-stylegan-gan configs/stylegan_fashion.yaml 110 recipe.gan_steps=null
  train fashion-stylegan configs/stylegan_fashion.yaml 60 recipe.gan_steps=0 train.steps=1500 \
    recipe.init_from=runs/stage-stylegan-gan/bundle; }

lane_ddpm & lane_ldm & lane_small & lane_style &
wait
echo "== $(date +%T) all trained"
du -sh $ZOO/* || true
tar -czf "$OUT/zoo.tar.gz" -C src/genvision zoo
tar -czf "$OUT/logs.tar.gz" -C "$OUT" logs
echo "== $(date +%T) packed"
