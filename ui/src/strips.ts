// The prediction strips: what the model in use saw, its surprise and what it expects next, and
// with A/B on, model B's strip on the same frames beside it.
import { $, ctx2d, drawImage } from "./util";

const strip = $("strip");
const stripCtx = ctx2d(strip);
const stripB = $("strip-b");
const stripBCtx = ctx2d(stripB);
let comparing = false;

/** Whether model B runs beside the model in use (A/B), its strip shown. */
export function isComparing(): boolean {
  return comparing;
}

/** Draws a prediction of the model in use into its strip; returns its moment (null if none came). */
export function drawStrip(buf: ArrayBuffer | null | undefined): number | null {
  return drawImage(buf, strip, stripCtx);
}

/** Draws model B's prediction into its strip. */
export function drawStripB(buf: ArrayBuffer | null | undefined): void {
  drawImage(buf, stripB, stripBCtx);
}

// Shows or hides model B's strip and legend as the comparison starts or stops.
export function showCompare(name: string | null): void {
  comparing = Boolean(name);
  $("compare-panel").hidden = !comparing;
  const short = (p: string) => p.split("/").pop();
  if (name) {
    $("strip-b-caption").textContent = `Model B (${short(name)}) on the same frames: what it saw · its surprise · what it expects`;
    $("surprise-caption").textContent = `Surprise over time: A (blue) ${short($("model-pick").value || "")} vs B (pink) ${short(name)}, each on its own scale (their latents differ); now at the right`;
  } else {
    $("surprise-caption").textContent = "Surprise over time (latent prediction error; now at the right)";
  }
}
