#!/usr/bin/env bash
# Packs what one GPU lease needs into .gpu/ (ignored by git, named in the device tool's carry):
# the headless binary (no ffmpeg, no ALSA) and real clips as frames files, both xz-compressed
# to fit the 64 MiB a call may carry, the training configs, a glibc to fall back on, and the
# Vulkan loader debs in .gl/. Then: run `bash scripts/gpu/predictor-lease.sh` (the predictor line,
# stop 27) or `bash scripts/gpu/lease.sh` (stop 15's three sizes) there, carrying .gpu and .gl;
# each fits one call of the device tool (10 minutes).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/augur/target}"
target="$CARGO_TARGET_DIR"
cargo build --workspace --examples
mkdir -p .gpu/libc .gl
grep -qx '/.gpu/' .git/info/exclude || echo /.gpu/ >> .git/info/exclude
grep -qx '/.gl/' .git/info/exclude || echo /.gl/ >> .git/info/exclude
strip -o .gpu/headless "$target/debug/examples/headless"
data=/usr/share/doc/opencv-doc/examples/data
for clip in vtest tree Megamind; do
  "$target/debug/examples/export_frames" 64 ".gpu/${clip,,}.frames" "file:$data/$clip.avi"
done
for f in headless vtest.frames tree.frames megamind.frames; do xz -T2 -6 -f ".gpu/$f"; done
cp -L /lib64/ld-linux-x86-64.so.2 /lib/x86_64-linux-gnu/{libc.so.6,libm.so.6,libgcc_s.so.1} .gpu/libc/
cp scripts/gpu/*.json .gpu/ 2> /dev/null || true
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
mkdir -p /tmp/amd64/partial
apt-get $o update -qq
(cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
du -sh .gpu .gl
