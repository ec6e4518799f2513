#!/bin/sh
# The third stage of models/bounce-64-hears (stop 32): its predictor trained 500 steps more,
# alone, on knocking scenes whose floor is drawn anywhere from 0.03 to 0.3 of the frame high
# (the seeded floors are 0.06-0.12), beside the two real clips. It starts from the second stage,
# in git at 1846f9b: git show 1846f9b:models/bounce-64-hears.safetensors > stage2.safetensors
# (and .json likewise), then: sh models/recipes/bounce-64-hears-floors.sh stage2 out-dir
# 1847 s on 2 AMD EPYC cores.
set -e
init=${1:?the second stage (a model name)}; out=${2:?an output folder}
augur train --config models/recipes/bounce-64-deep-bank-predictor.json --init "$init" \
  --predictor-only --latent-bank 3000 \
  --data "scene:bounce?sound=1@0.45" \
  --data "scene:bounce?sound=1&floor=0.03@0.05" \
  --data "scene:bounce?sound=1&floor=0.16@0.05" \
  --data "scene:bounce?sound=1&floor=0.2@0.05" \
  --data "scene:bounce?sound=1&floor=0.25@0.05" \
  --data "scene:bounce?sound=1&floor=0.3@0.05" \
  --data file:/usr/share/doc/opencv-doc/examples/data/vtest.avi@0.15 \
  --data file:/usr/share/doc/opencv-doc/examples/data/tree.avi@0.15 \
  --steps 500 --lr 3e-4 --seed 25 --audio-loss 4 --checkpoint-every 50 --device cpu --out "$out"
