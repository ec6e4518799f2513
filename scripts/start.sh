#!/usr/bin/env bash
# Sets everything up and starts Augur's main job: the live view on the default camera, or the
# built-in physics scene when there is no camera; in a window when there is a display,
# headless otherwise. Extra arguments go to `augur run` (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
# --help before anything is installed or built: `augur run`'s own once it is built.
case " $* " in
  *" --help "* | *" -h "*)
    built="${CARGO_TARGET_DIR:-$HOME/.cache/augur/target}/debug/augur"
    [ -x "$built" ] && exec "$built" run --help
    echo "usage: scripts/start.sh [ARGUMENTS OF augur run]: installs what is missing (Debian/Ubuntu), builds"
    echo "Augur and starts the live view. Once it is built, scripts/start.sh --help lists the arguments."
    exit 0
    ;;
esac
scripts/install-deps.sh
[ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/augur/target}"
echo "Building Augur (the first build takes a while: burn, wgpu and WebKit are large)…"
# The window's page first: the app embeds ui/dist when it is compiled.
scripts/build-ui.sh
# The same build as scripts/check.sh, so tests after a start (or a start after tests) reuse it.
cargo build --workspace --all-targets --locked
exec "$CARGO_TARGET_DIR/debug/augur" run "$@"
