#!/usr/bin/env bash
# Installs what Augur needs to build and run on Debian/Ubuntu: FFmpeg's libraries (cameras,
# files), WebKitGTK 4.1 (the app window), Mesa's Vulkan drivers (a software GPU when there is no
# real one), ALSA + PulseAudio (microphones), clang (bindings), Xvfb (headless tests), Node.js
# (builds the window's TypeScript front end), and Rust.
# macOS: `brew install ffmpeg pkg-config node` (WebKit and Metal come with the OS).
# Windows: install FFmpeg shared libraries (e.g. `vcpkg install ffmpeg[avdevice]`), set
# FFMPEG_DIR, and the WebView2 runtime (preinstalled on Windows 11).
set -euo pipefail

packages=(
  build-essential pkg-config clang libclang-dev curl ca-certificates
  ffmpeg opencv-doc libavcodec-dev libavformat-dev libavutil-dev libavdevice-dev libavfilter-dev libswscale-dev libswresample-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libssl-dev libxdo-dev webkit2gtk-driver
  mesa-vulkan-drivers libvulkan1
  libasound2-dev libasound2-plugins pulseaudio pulseaudio-utils
  xvfb xauth imagemagick
  openbox # a window manager on Xvfb: windows go full screen (demo mode) only under one
  xdotool # the WebDriver test answers the native file dialog with it
  python3 python3-venv
  libudev-dev
)
# `--tests`: also what only the tests use. Debian's PyTorch (120 MB, with OpenBLAS: reference
# BLAS is 4x slower) runs python/augur_torch's checks; the app and its demo do not need it.
if [ "${1:-}" = "--tests" ]; then
  packages+=(python3-torch python3-numpy libopenblas0-pthread)
fi

# `env` runs apt with DEBIAN_FRONTEND set, as root too (an empty prefix would leave the
# assignment as the command's name).
sudo="env"
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install-deps: run this as root (there is no sudo here to install system packages with)" >&2
    exit 1
  fi
  # env after sudo: sudo's env_reset would drop DEBIAN_FRONTEND, and apt could ask questions.
  sudo="sudo env"
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq
  $sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node.js builds the window's page (scripts/build-ui.sh). npm on its own and only where it is
# still missing: NodeSource's nodejs brings its own npm, which Debian's npm package conflicts with.
if ! command -v node >/dev/null 2>&1; then
  echo "Installing Node.js"
  $sudo apt-get update -qq
  $sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "Installing npm"
  $sudo apt-get update -qq
  $sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
fi

# Rust through rustup, first on PATH: Debian's own rustc is too old for this workspace (edition
# 2024, rust-version in Cargo.toml), and an older rustup toolchain is brought up to date.
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v rustup >/dev/null 2>&1; then
  echo "Installing Rust with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
  export PATH="$HOME/.cargo/bin:$PATH"
fi
# `|| true`: under pipefail a rustup with no default toolchain (rustc fails) would end the
# script here without a word, in the very case the update below is for.
need=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' "$(dirname "$0")/../Cargo.toml" 2>/dev/null | head -1 || true)
have=$(rustc --version 2>/dev/null | cut -d' ' -f2 || true)
if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "${have:-0}" | sort -V | head -1)" != "$need" ]; then
  echo "Updating Rust: this workspace needs rustc $need, found ${have:-none}"
  rustup toolchain install stable --profile minimal -c clippy,rustfmt
  rustup default stable
fi
rustup component add clippy rustfmt >/dev/null 2>&1 || true
