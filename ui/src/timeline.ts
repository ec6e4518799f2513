// The timeline kept while paused: Pause/Play, scrubbing to a moment and what arrived there,
// What if… rolled out again from it, and latent steering of the moment shown (or the newest).
import { $, ctx2d, drawImage, errorText, invoke, notice } from "./util";
import { drawStrip, drawStripB, isComparing } from "./strips";

let scrubbing: number | null = null; // the moment shown while paused, or null to follow the newest
// Bumped when Pause/Play starts and when it lands: a status read begun before that may carry the
// old state, and must not put the old label back (a click on it would then undo the last one).
let pauseGeneration = 0;
let pauseInFlight = false;
// Bumped by each moment asked for and each Pause/Play: a moment still being fetched then belongs
// to a state left behind, and drawing it would show "(paused)" while playing or an older moment.
let momentGeneration = 0;

/** The moment shown while paused, or null while the strip follows the newest prediction. */
export function scrubbedTo(): number | null {
  return scrubbing;
}

/** Begins a read of the app's paused state: the function returned shows what was read on the
 * Pause/Play button, unless a toggle began or landed since (see pauseGeneration). */
export function pauseRead(): (paused: boolean) => void {
  const asked = pauseGeneration;
  return (paused) => {
    if (asked === pauseGeneration && !pauseInFlight) $("pause").textContent = paused ? "Play" : "Pause";
  };
}

// Latent steering: decode the shown moment (or the newest) moved along PC1/PC2. One request
// at a time: a slider dragged fires dozens of input events a second, and each queued request
// would hold the model thread from live predictions; the latest position is sent next.
let steering = false;
let steerAgain = false;
export async function steer(): Promise<void> {
  if (steering) {
    steerAgain = true;
    return;
  }
  steering = true;
  try {
    do {
      steerAgain = false;
      const buf = await invoke("steer", { at: scrubbing, pc1: Number($("pc1").value), pc2: Number($("pc2").value) });
      drawImage(buf, $("imagined"), ctx2d($("imagined")));
    } while (steerAgain);
  } catch (e) {
    console.error(e);
  } finally {
    steering = false;
  }
}

export async function togglePause(): Promise<void> {
  // Until the whole toggle has landed (the paused moment fetched too): a second press before
  // would read a stale label, or play while the first still draws its paused moment.
  if (pauseInFlight) return;
  const paused = $("pause").textContent === "Pause";
  pauseInFlight = true;
  pauseGeneration++;
  momentGeneration++;
  try {
    await invoke("set_paused", { paused });
    $("pause").textContent = paused ? "Play" : "Pause";
    $("scrub").disabled = !paused;
    $("whatif").disabled = !paused || rollingOut;
    if (paused) await showNewest();
    else follow();
  } catch (e) {
    notice(`pause: ${errorText(e)}`);
  } finally {
    pauseGeneration++;
    pauseInFlight = false;
  }
}

// Paused: the scrub bar spans the timeline kept, at its newest moment.
async function showNewest(): Promise<void> {
  const span = await invoke("timeline_span");
  if (!span) return;
  $("scrub").min = String(span[0]);
  $("scrub").max = String(span[1]);
  $("scrub").value = String(span[1]);
  await showMoment(span[1]);
}

// Playing: the strip follows the newest prediction again.
function follow(): void {
  momentGeneration++;
  scrubbing = null;
  $("arrived-panel").hidden = true;
  $("strip-caption").textContent = "What the model saw · where it was surprised · what it expects next (t+1 … t+H)";
}

// Dragging the scrub bar fires dozens of input events a second, and each moment shown costs up
// to three commands: one moment is fetched at a time, then the newest asked for meanwhile.
// Settles once the newest moment asked for is drawn.
let draining: Promise<void> | null = null;
let queuedMoment: number | null = null;

export function showMoment(index: number | string): Promise<void> {
  queuedMoment = Number(index);
  scrubbing = queuedMoment;
  momentGeneration++; // a moment being drawn is stale now
  draining ??= drainMoments().finally(() => { draining = null; });
  return draining;
}

async function drainMoments(): Promise<void> {
  while (queuedMoment !== null) {
    const moment = queuedMoment;
    queuedMoment = null;
    if (scrubbing !== moment) break; // playing again
    try {
      await drawMoment(moment, momentGeneration);
    } catch (e) {
      notice(`moment ${moment}: ${errorText(e)}`);
    }
  }
}

async function drawMoment(moment: number, asked: number): Promise<void> {
  const stale = () => asked !== momentGeneration;
  const prediction = await invoke("prediction", { index: moment });
  if (stale()) return;
  drawStrip(prediction);
  if (isComparing()) {
    const b = await invoke("compare_prediction", { index: moment });
    if (stale()) return;
    drawStripB(b);
  }
  $("strip-caption").textContent = `Moment ${moment} (paused): what the model saw · its surprise · what it expected`;
  try {
    const arrived = await invoke("arrived", { index: moment });
    if (stale()) return;
    drawImage(arrived, $("arrived"), ctx2d($("arrived")));
    $("arrived-panel").hidden = false;
  } catch (e) {
    if (!stale()) $("arrived-panel").hidden = true;
  }
}

// One rollout at a time: each holds the model thread, and clicks would queue more.
let rollingOut = false;

export async function whatIf(): Promise<void> {
  const at = scrubbing;
  if (at === null || rollingOut) return;
  const asked = momentGeneration;
  // Scrubbed or played meanwhile: the strip shows something newer than this rollout.
  const moved = () => scrubbing !== at || asked !== momentGeneration;
  const horizon = Number($("horizon").value);
  const context = Number($("context").value) || 8;
  rollingOut = true;
  $("whatif").disabled = true;
  try {
    const rollout = await invoke("what_if", { at, horizon, context });
    if (moved()) return;
    drawStrip(rollout);
    $("strip-caption").textContent = `What if: rolled out ${horizon} frames again from moment ${at} with ${context} frames of context`;
  } catch (e) {
    if (!moved()) $("strip-caption").textContent = `what-if failed: ${errorText(e)}`;
  } finally {
    rollingOut = false;
    $("whatif").disabled = scrubbing === null;
  }
}
