#!/usr/bin/env bash
# Builds the window's web front end (ui/: TypeScript bundled by Vite) into ui/dist, which the
# app embeds when it is compiled (src-tauri/build.rs stops with a pointer here when it is
# missing). Installs ui/node_modules from package-lock.json first when it is missing or older.
# scripts/check.sh and scripts/start.sh run it; run it yourself after editing ui/ by hand.
set -euo pipefail
cd "$(dirname "$0")/../ui"

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "build-ui: $tool is not installed; scripts/install-deps.sh installs Node.js (Debian/Ubuntu: apt-get install nodejs npm)" >&2
    exit 1
  fi
done

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "build-ui: installing ui/node_modules (npm ci)"
  npm ci --no-audit --no-fund
fi
npm run build --silent
