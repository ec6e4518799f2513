#!/usr/bin/env bash
# Capture benchmark: `augur probe` on a 720p30 lavfi source and a 640x480 scene for N seconds
# each (default 10), written as markdown + JSON under bench/results/ with machine and commit.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
augur="${CARGO_TARGET_DIR:-$HOME/.cache/augur/target}/debug/augur"
[ -x "$augur" ] || { echo "build first: scripts/start.sh (or scripts/check.sh) builds $augur" >&2; exit 1; }
out=bench/results
mkdir -p "$out"
stamp=$(date -u +%Y-%m-%dT%H:%MZ)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | xargs)
json="$out/capture.json"
md="$out/capture.md"
echo "[" > "$json"
{
  echo "# Capture benchmark ($stamp, commit $commit)"
  echo
  echo "Machine: $cpu, $(nproc) cores. Each source probed for $secs s by \`augur probe\` (debug profile, deps at opt-level 2)."
  echo
  echo "| source | size | delivered fps | produced fps | skipped | latency p50 ms | latency p99 ms | CPU % of one core |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$md"
first=1
for src in "lavfi:testsrc=size=1280x720:rate=30" "scene:bounce?size=640x480&fps=30"; do
  r=$("$augur" probe "$src" --seconds "$secs" --json)
  [ $first -eq 1 ] || echo "," >> "$json"
  first=0
  echo "$r" >> "$json"
  python3 - "$r" >> "$md" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); v = r["video"]; n = v["negotiated"]
f = lambda x: "-" if x is None else f"{x:.1f}"
print(f"| `{r['source']}` | {n['width']}x{n['height']} | {f(v['delivered_fps'])} | {f(v['produced_fps'])} | {v['frames_skipped']} | {f(v['latency_ms_p50'])} | {f(v['latency_ms_p99'])} | {f(r['cpu_percent'])} |")
PY
done
echo "]" >> "$json"
cat "$md"
