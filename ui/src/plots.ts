// The model panels' plots: surprise over time, the latent trajectory and the sound's
// log-mel spectrogram, each drawn anew from what the app last reported.
import { $, ctx2d, invoke, num } from "./util";
import type { Point } from "./commands";

/** The surprise trace of the model in use (blue) and, with A/B on, of model B (pink), each on
 * its own scale from 0 to its largest value, written in its colour: two models' latent errors
 * are distances in different latent spaces, so one shared scale would only say whose latents
 * are spread wider. */
export function plotSurprise(values: (number | null)[], valuesB: (number | null)[] = []): void {
  const c = $("surprise");
  const ctx = ctx2d(c);
  ctx.clearRect(0, 0, c.width, c.height);
  const series: [(number | null)[], string][] = [[values, "#5ac8ff"]];
  if (valuesB.some((v) => v !== null)) series.push([valuesB, "#ff7ab8"]);
  let labelX = 4;
  for (const [s, colour] of series) {
    const finite = s.filter((v): v is number => v !== null);
    if (finite.length < 2) continue;
    const top = Math.max(...finite);
    if (!(top > 0)) continue;
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let started = false;
    s.forEach((v, i) => {
      if (v === null) { started = false; return; }
      const x = (i / Math.max(s.length - 1, 1)) * (c.width - 4) + 2;
      const y = c.height - 4 - (v / (top * 1.1)) * (c.height - 8);
      if (started) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      started = true;
    });
    ctx.stroke();
    const label = top.toPrecision(2);
    ctx.fillStyle = series.length > 1 ? colour : "#8a93a6";
    ctx.fillText(label, labelX, 12);
    labelX += ctx.measureText(label).width + 8;
  }
  ctx.fillStyle = "#ffb347";
  ctx.fillRect(c.width - 3, 0, 2, c.height); // the current moment
}

/** The latest latents' path (older points fainter) and, in orange, the branch from the newest. */
export function plotTrajectory(trail: Point[], branch: Point[]): void {
  const c = $("trajectory");
  const ctx = ctx2d(c);
  ctx.clearRect(0, 0, c.width, c.height);
  const all = trail.concat(branch);
  if (all.length < 2) return;
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x: number) => 6 + ((x - x0) / (x1 - x0 || 1)) * (c.width - 12);
  const sy = (y: number) => c.height - 6 - ((y - y0) / (y1 - y0 || 1)) * (c.height - 12);
  trail.forEach((p, i) => {
    ctx.fillStyle = `rgba(90, 200, 255, ${0.15 + (0.85 * i) / trail.length})`;
    ctx.fillRect(sx(p[0]) - 1, sy(p[1]) - 1, 3, 3);
  });
  if (trail.length && branch.length) {
    ctx.strokeStyle = "#ffb347";
    ctx.lineWidth = 2;
    ctx.beginPath();
    const now = trail[trail.length - 1];
    ctx.moveTo(sx(now[0]), sy(now[1]));
    branch.forEach((p) => ctx.lineTo(sx(p[0]), sy(p[1])));
    ctx.stroke();
  }
}

// Spectrogram bytes [cols u32, mels u32, level f32, 0, then mels bytes per column].
export async function drawSound(): Promise<void> {
  const buf = await invoke("sound");
  if (!buf || buf.byteLength <= 16) return;
  const head = new DataView(buf, 0, 16);
  const cols = head.getUint32(0, true);
  const mels = head.getUint32(4, true);
  const level = head.getFloat32(8, true);
  const c = $("spectrogram");
  if (c.width !== cols || c.height !== mels) { c.width = Math.max(cols, 1); c.height = Math.max(mels, 1); }
  const bytes = new Uint8Array(buf, 16, cols * mels);
  const img = ctx2d(c).createImageData(c.width, c.height);
  for (let x = 0; x < cols; x++) {
    for (let m = 0; m < mels; m++) {
      const v = bytes[x * mels + m];
      const i = ((mels - 1 - m) * c.width + x) * 4; // low bands at the bottom
      img.data[i] = Math.min(255, v * 1.6);
      img.data[i + 1] = Math.max(0, v * 1.2 - 60);
      img.data[i + 2] = 80 + v / 3;
      img.data[i + 3] = 255;
    }
  }
  ctx2d(c).putImageData(img, 0, 0);
  $("sound-caption").textContent = `Sound: log-mel spectrogram (last 3 s) · level ${num(level)} dBFS`;
}
