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

# Vite 6 and TypeScript 5.9 need Node 18 or later; an older one fails in ways that do not say so.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
  echo "build-ui: Node.js 18 or later is needed, found $(node -v); install a newer one (NodeSource or nvm)" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "build-ui: installing ui/node_modules (npm ci)"
  npm ci --no-audit --no-fund
fi
# Built again only when something it is made from is newer: a rebuilt ui/dist makes the app
# (which embeds it) compile again.
if [ -f dist/index.html ] && [ -z "$(find src index.html package.json package-lock.json tsconfig.json vite.config.ts \
  -newer dist/index.html -print -quit)" ]; then
  exit 0
fi
npm run build --silent
