// Helpers every part of the UI uses: commands, elements, numbers, polling, binary images.
import type { ArgsOf, Command, ResultOf, StreamInfo } from "./commands";

const tauriInvoke = window.__TAURI__.core.invoke;

/** Calls command `command` (arguments only for commands that take some), typed by commands.ts. */
export function invoke<K extends Command>(
  command: K,
  ...args: ArgsOf<K> extends undefined ? [] : [ArgsOf<K>]
): Promise<ResultOf<K>> {
  return tauriInvoke<ResultOf<K>>(command, args[0] as InvokeArgs | undefined);
}

/** The page's elements by id (index.html), each with its type. */
interface Elements {
  "source-pick": HTMLSelectElement;
  "mic-pick": HTMLSelectElement;
  "model-pick": HTMLSelectElement;
  "compare-pick": HTMLSelectElement;
  model: HTMLSpanElement;
  pause: HTMLButtonElement;
  horizon: HTMLSelectElement;
  dataset: HTMLInputElement;
  task: HTMLInputElement;
  record: HTMLButtonElement;
  discard: HTMLButtonElement;
  browse: HTMLButtonElement;
  "scope-toggle": HTMLButtonElement;
  "scope-panel": HTMLElement;
  scope: HTMLCanvasElement;
  demo: HTMLButtonElement;
  version: HTMLButtonElement;
  about: HTMLElement;
  context: HTMLSelectElement;
  stride: HTMLSelectElement;
  notice: HTMLParagraphElement;
  browser: HTMLElement;
  datasets: HTMLDivElement;
  training: HTMLElement;
  loss: HTMLCanvasElement;
  "training-text": HTMLSpanElement;
  "training-bar": HTMLProgressElement;
  "cancel-training": HTMLButtonElement;
  "close-training": HTMLButtonElement;
  live: HTMLCanvasElement;
  stalled: HTMLParagraphElement;
  source: HTMLSpanElement;
  "model-panels": HTMLElement;
  strip: HTMLCanvasElement;
  "strip-caption": HTMLElement;
  kept: HTMLSpanElement;
  "arrived-panel": HTMLElement;
  arrived: HTMLCanvasElement;
  "compare-panel": HTMLElement;
  "strip-b": HTMLCanvasElement;
  "strip-b-caption": HTMLElement;
  scrub: HTMLInputElement;
  whatif: HTMLButtonElement;
  export: HTMLButtonElement;
  surprise: HTMLCanvasElement;
  "surprise-caption": HTMLElement;
  "sound-panel": HTMLElement;
  spectrogram: HTMLCanvasElement;
  "sound-caption": HTMLElement;
  trajectory: HTMLCanvasElement;
  imagined: HTMLCanvasElement;
  pc1: HTMLInputElement;
  pc2: HTMLInputElement;
  status: HTMLElement;
}

export function $<K extends keyof Elements>(id: K): Elements[K] {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no element #${id}`);
  return found as Elements[K];
}

/** A canvas's 2D context. */
export function ctx2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error(`no 2D context for canvas #${canvas.id}`);
  return ctx;
}

// Numbers from Rust may be null (NaN before the first prediction).
export const num = (v: number | null | undefined, digits = 0): string =>
  typeof v === "number" && isFinite(v) ? v.toFixed(digits) : "–";

/** What a failed command or fetch says: a command's `{code, message}`, an Error's message, or itself. */
export function errorText(e: unknown): string {
  if (typeof e === "object" && e !== null && "message" in e && e.message != null) return String(e.message);
  return String(e);
}

export function notice(text: string): void {
  const bar = $("notice");
  bar.textContent = text;
  bar.hidden = false;
  // Demo mode hides the bar but shows a notice of the moment for a while over the panels, so
  // what a click did (or why it did not) is seen.
  bar.classList.add("fresh");
  clearTimeout(freshFor);
  freshFor = setTimeout(() => bar.classList.remove("fresh"), 6000);
}

let freshFor: ReturnType<typeof setTimeout> | undefined;

/** Runs `read` whenever the user reaches for `pick` (the pointer over it, or the keyboard's
 * focus), before it opens, so a list of devices that come and go is read again. The pointer's
 * arrival and the click's focus come together: one reading serves both. Answers the reader,
 * to read at once too. */
export function rereadOnReach(pick: HTMLElement, read: () => Promise<void>): () => void {
  let reading: Promise<void> | null = null;
  const reread = () => {
    reading ??= read().catch((e) => notice(errorText(e))).finally(() => { reading = null; });
  };
  pick.addEventListener("pointerenter", reread);
  pick.addEventListener("focus", reread);
  return reread;
}

// Runs `fn` every `ms` after the previous run finished, so calls never pile up.
export function every(ms: number, fn: () => unknown): void {
  const tick = async () => {
    try { await fn(); } catch (e) { console.error(e); }
    setTimeout(tick, ms);
  };
  setTimeout(tick, ms);
}

// Draws a frame sent as [width u32, height u32, index u64, RGBA…] into `canvas`; returns its index.
export function drawImage(
  buf: ArrayBuffer | null | undefined,
  canvas: HTMLCanvasElement,
  ctx: CanvasRenderingContext2D,
): number | null {
  if (!buf || buf.byteLength <= 16) return null;
  const head = new DataView(buf, 0, 16);
  const w = head.getUint32(0, true);
  const h = head.getUint32(4, true);
  const index = Number(head.getBigUint64(8, true));
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  ctx.putImageData(new ImageData(new Uint8ClampedArray(buf, 16, w * h * 4), w, h), 0, 0);
  return index;
}

// The live source's caption: its video and its sound, each kept until told anew, so reading the
// microphones again does not put back the source the app started with.
let sourceVideo = "opening…";
let sourceSound: string | null = null;

/** Writes the source caption; a part left undefined keeps what it said. */
export function showSource(video?: string, sound?: string | null): void {
  if (video !== undefined) sourceVideo = video;
  if (sound !== undefined) sourceSound = sound;
  $("source").textContent = `${sourceVideo} · ${sourceSound ?? "no sound"}`;
}

// The loopback frame stream (faster than IPC for pixels: bench/results/window.md); IPC when the
// app has none, or for a while once the stream stops answering (the live view would wait on it
// for good), then the stream again: a busy spell (an export, a fine-tune) would otherwise slow
// the live view for the rest of a day-long demo. `pixels(path, query, command, args)` answers
// the bytes either way.
let stream: StreamInfo | null = null;
const STREAM_TIMEOUT_MS = 3000;
const STREAM_FAILURES = 3; // in a row, before frames come by IPC for a while
const STREAM_RETRY_MS = 30_000;
let streamFailures = 0;
let ipcUntil = 0; // Date.now() before which frames come by IPC
let retryMs = STREAM_RETRY_MS; // doubled, to 5 min, each time a retry fails too
let toldIpc = false; // frames come by IPC since the stream failed

export function useStream(info: StreamInfo | null): void {
  stream = info;
  streamFailures = 0;
  ipcUntil = 0;
}

type PixelCommand = "latest_frame" | "prediction" | "compare_prediction" | "scope_frame";

export async function pixels<K extends PixelCommand>(
  path: string,
  query: Record<string, string | number>,
  command: K,
  args: ArgsOf<K>,
): Promise<ArrayBuffer> {
  if (!stream || Date.now() < ipcUntil) return tauriInvoke<ArrayBuffer>(command, args);
  const q = new URLSearchParams({ token: stream.token });
  for (const [key, value] of Object.entries(query)) q.set(key, String(value));
  let r: Response;
  let bytes: ArrayBuffer;
  try {
    [r, bytes] = await ask(`${stream.url}${path}?${q}`);
  } catch (e) {
    return stalled(`${path}: the frame stream did not answer (${errorText(e)})`, command, args);
  }
  // An error status is still an answer: the stream works, the request was refused.
  streamFailures = 0;
  if (toldIpc) {
    toldIpc = false;
    ipcUntil = 0;
    retryMs = STREAM_RETRY_MS;
    notice("Frames come by the loopback stream again");
  }
  if (!r.ok) throw new Error(`${path}: ${r.status} ${new TextDecoder().decode(bytes)}`);
  return bytes;
}

/** A request the stream did not answer: an error until STREAM_FAILURES in a row, then IPC for
 * STREAM_RETRY_MS before the stream is tried again. */
async function stalled<K extends PixelCommand>(why: string, command: K, args: ArgsOf<K>): Promise<ArrayBuffer> {
  // A retry that fails goes back to IPC at once: it already cost the live view one timeout.
  if (++streamFailures < (toldIpc ? 1 : STREAM_FAILURES)) throw new Error(why);
  streamFailures = 0;
  // Frames and strips are asked for together and fail together: one retry counts once.
  if (Date.now() < ipcUntil) return tauriInvoke<ArrayBuffer>(command, args);
  ipcUntil = Date.now() + retryMs;
  if (toldIpc) {
    retryMs = Math.min(2 * retryMs, 300_000);
  } else {
    toldIpc = true;
    notice("Frames come by IPC for now: the loopback frame stream stopped answering (it is tried again later)");
  }
  return tauriInvoke<ArrayBuffer>(command, args);
}

/** The stream's reply to `url` and its body, or a rejection when both do not come in time. */
async function ask(url: string): Promise<[Response, ArrayBuffer]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), STREAM_TIMEOUT_MS);
  try {
    const r = await fetch(url, { cache: "no-store", signal: abort.signal });
    return [r, await r.arrayBuffer()];
  } finally {
    clearTimeout(timer);
  }
}
