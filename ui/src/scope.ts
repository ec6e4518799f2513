// The Scope view: every panel composited by egui on the GPU in the app (augur-scope), fetched as
// one image per frame while shown; the canvas's pointer goes back to the app so hover, wheel zoom
// and drag work on it.
import type { ScopeEvent } from "./commands";
import { $, ctx2d, drawImage, errorText, invoke, notice, pixels } from "./util";

const WIDTH = 760;
let pending: ScopeEvent[] = [];
let running = false;
let failures = 0;

function at(e: MouseEvent): { x: number; y: number } {
  const c = $("scope");
  const r = c.getBoundingClientRect();
  // The image is drawn at its own size in points: CSS pixels map back through the scaling.
  return { x: ((e.clientX - r.left) * c.width) / r.width, y: ((e.clientY - r.top) * c.height) / r.height };
}

/** `at(e)` kept on the canvas: a pointer let go outside it lets go at the nearest edge. */
function clampedAt(e: MouseEvent): { x: number; y: number } {
  const c = $("scope");
  const { x, y } = at(e);
  return { x: Math.min(Math.max(x, 0), c.width), y: Math.min(Math.max(y, 0), c.height) };
}

// Whether a press on the canvas waits for its release, which may come anywhere in the window.
let held = false;

function press(e: MouseEvent): void {
  pending.push({ kind: "down", ...at(e) });
  if (held) return;
  held = true;
  // Listened for on the window: a drag let go outside the canvas would leave egui pressed.
  window.addEventListener("mouseup", (up) => {
    held = false;
    pending.push({ kind: "up", ...clampedAt(up) });
  }, { once: true });
}

function forward(): void {
  const c = $("scope");
  c.addEventListener("mousemove", (e) => pending.push({ kind: "move", ...at(e) }));
  c.addEventListener("mousedown", press);
  c.addEventListener("mouseleave", () => pending.push({ kind: "leave" }));
  c.addEventListener(
    "wheel",
    (e) => {
      e.preventDefault();
      pending.push({ kind: "wheel", ...at(e), dy: -e.deltaY });
    },
    { passive: false },
  );
}

async function frame(height: number): Promise<void> {
  if ($("scope-panel").hidden) {
    running = false;
    return;
  }
  try {
    // Moves are merged: only the newest position matters between two frames.
    const events = pending.filter((e, i) => e.kind !== "move" || !pending.slice(i + 1).some((n) => n.kind === "move"));
    pending = [];
    if (events.length) await invoke("scope_input", { events: events.slice(-64) });
    const buf = await pixels("/scope", { width: WIDTH, height }, "scope_frame", { width: WIDTH, height });
    drawImage(buf, $("scope"), ctx2d($("scope")));
    failures = 0;
  } catch (e) {
    // One bad frame (a model being switched) is skipped; a scope that cannot draw at all (no
    // GPU device for it) is closed with why, rather than asked again every frame.
    if (++failures >= 3) {
      notice(`Scope: ${errorText(e)}`);
      $("scope-panel").hidden = true;
      running = false;
      failures = 0;
      return;
    }
  }
  requestAnimationFrame(() => frame(height));
}

let wired = false;

/** Shows or hides the Scope view; `compare` makes room for the second model's filmstrip. */
export function toggleScope(compare: () => boolean): void {
  const panel = $("scope-panel");
  panel.hidden = !panel.hidden;
  if (!wired) {
    forward();
    wired = true;
  }
  if (!panel.hidden && !running) {
    running = true;
    frame(compare() ? 440 : 330);
  }
}
