// Augur's UI: the live source, the model's predictions beside it, surprise over time and the
// latent trajectory. Frames and predictions arrive as raw RGBA over the loopback frame stream,
// or Tauri's binary IPC when there is none.
import "./style.css";
import { $, ctx2d, drawImage, errorText, every, invoke, notice, num, pixels, showSource, useStream } from "./util";
import { refreshModels, startTrainingPanel, toggleBrowser } from "./datasets";
import { runBench } from "./bench";
import { toggleScope } from "./scope";
import { refreshMicrophones, startMicrophonePicker } from "./microphone";
import type { Point } from "./commands";

// The microphone's failure last told (null while it is heard).
let toldLost: string | null = null;

const live = $("live");
const liveCtx = ctx2d(live);
const strip = $("strip");
const stripCtx = ctx2d(strip);
const stripB = $("strip-b");
const stripBCtx = ctx2d(stripB);
let comparing = false;
let drawn = 0;
let predictionsDrawn = 0;
let lastPrediction = -1;
let reported = false;
let hasModel = false;
let scrubbing: number | null = null; // the moment shown while paused, or null to follow the newest
// Bumped when Pause/Play starts and when it lands: a status read begun before that may carry the
// old state, and must not put the old label back (a click on it would then undo the last one).
let pauseGeneration = 0;
let pauseInFlight = false;
// Bumped by each moment asked for and each Pause/Play: a moment still being fetched then belongs
// to a state left behind, and drawing it would show "(paused)" while playing or an older moment.
let momentGeneration = 0;

function distinctColours(data: Uint8ClampedArray): number {
  const seen = new Set<number>();
  for (let i = 0; i < data.length && seen.size < 4096; i += 4 * 97) {
    seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  }
  return seen.size;
}

async function maybeReport(): Promise<void> {
  const ready = drawn >= 10 && (!hasModel || predictionsDrawn >= 3);
  if (ready && !reported) {
    reported = true;
    const shown = liveCtx.getImageData(0, 0, live.width, live.height).data;
    await invoke("smoke_report", {
      framesDrawn: drawn,
      distinctColours: distinctColours(shown),
      predictionsDrawn: predictionsDrawn,
    });
  }
}

async function drawLatest(): Promise<void> {
  try {
    // The most room the canvas may take on screen (its CSS limits, which follow the window):
    // the app shrinks frames at least twice as large. Not the canvas's own size, which is the
    // last frame's, so a window made smaller once would keep the preview small for good.
    const dpr = window.devicePixelRatio || 1;
    const room = getComputedStyle(live);
    const side = (limit: string, now: number) => (Number.isFinite(parseFloat(limit)) ? parseFloat(limit) : now);
    const fit: [number, number] = [
      Math.max(1, Math.round(side(room.maxWidth, live.clientWidth) * dpr)),
      Math.max(1, Math.round(side(room.maxHeight, live.clientHeight) * dpr)),
    ];
    // Both asked for at once: each IPC round trip costs the page tens of ms in WebKitGTK.
    const following = hasModel && scrubbing === null;
    const [frame, prediction] = await Promise.all([
      pixels("/frame", { fit: fit.join("x") }, "latest_frame", { fit }),
      following ? pixels("/prediction", {}, "prediction", { index: null }) : null,
    ]);
    const index = drawImage(frame, live, liveCtx);
    if (index !== null) {
      drawn += 1;
      // Timed by the app from the frame's capture: camera-to-screen latency.
      invoke("frame_drawn", { index }).catch(() => {});
    }
    if (following) {
      const moment = drawImage(prediction, strip, stripCtx);
      if (moment !== null && moment !== lastPrediction) {
        lastPrediction = moment;
        predictionsDrawn += 1;
        if (comparing) {
          drawImage(await pixels("/compare", { index: moment }, "compare_prediction", { index: moment }), stripB, stripBCtx);
        }
      }
    }
    await maybeReport();
  } catch (e) {
    $("status").textContent = `frame error: ${e}`;
  }
  requestAnimationFrame(drawLatest);
}

/** The surprise trace of the model in use (blue) and, with A/B on, of model B (pink), each on
 * its own scale from 0 to its largest value, written in its colour: two models' latent errors
 * are distances in different latent spaces, so one shared scale would only say whose latents
 * are spread wider. */
function plotSurprise(values: (number | null)[], valuesB: (number | null)[] = []): void {
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

function plotTrajectory(trail: Point[], branch: Point[]): void {
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
async function drawSound(): Promise<void> {
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

async function pollStatus(): Promise<void> {
  const s = await invoke("source_status");
  let text = `${s.frames} frames from the source, ${s.skipped} lost` + (s.ended ? ` — ${s.ended}` : "") +
    (s.screen_latency_p50_ms !== null ? ` · camera→screen p50 ${num(s.screen_latency_p50_ms)} ms` : "");
  if (hasModel) {
    try {
      const asked = pauseGeneration;
      const m = await invoke("model_state");
      const st = m.stats;
      text += ` · preview ${num(st.preview_fps, 1)} fps · predictions ${num(st.prediction_hz, 1)} Hz` +
        ` · latency p50 ${num(st.latency_p50_ms)} ms · model skipped ${st.model_skipped}`;
      if (asked === pauseGeneration && !pauseInFlight) $("pause").textContent = m.paused ? "Play" : "Pause";
      syncHorizon(m.horizon);
      syncContext(m.context, m.model_context);
      if (document.activeElement !== $("stride")) $("stride").value = String(m.stride);
      showCompare(m.compare);
      plotSurprise(m.surprise, m.compare ? m.compare_surprise : []);
      $("kept").textContent = scrubbing === null ? keptText(m.kept) : "";
      plotTrajectory(m.trail, m.branch);
      // Told when the microphone is lost and when it is heard again.
      if (m.sound_lost !== toldLost) {
        if (m.sound_lost) notice(`Microphone: ${m.sound_lost}`);
        else if (toldLost) notice("Microphone: heard again");
        toldLost = m.sound_lost;
      }
      if (!$("sound-panel").hidden) await drawSound();
    } catch (e) {
      text += ` · model: ${errorText(e)}`;
    }
  }
  $("status").textContent = text;
}

/** How much of its predicted change a fading model shows now (empty for one that does not fade). */
function keptText(kept: number[] | null): string {
  if (!kept || kept.length === 0) return "";
  const pct = (v: number): string => `${Math.round(v * 100)} %`;
  if (kept.every((k) => k < 0.05)) return " · its recent guesses did not help, so it shows the frame as it is";
  const far = kept.length > 1 ? `, ${pct(kept[kept.length - 1])} at t+${kept.length}` : "";
  return ` · keeps ${pct(kept[0])} of its predicted change at t+1${far} (what its guesses earned)`;
}

// One start or stop at a time, and the button's state from its reply: the status poll alone
// comes every 500 ms, so a quick second press would start a second recording. Bumped when one
// starts and lands, like pauseGeneration, so a status read begun before does not undo it.
let recordInFlight = false;
let recordGeneration = 0;

async function toggleRecord(keep = true): Promise<void> {
  if (recordInFlight) return;
  recordInFlight = true;
  recordGeneration++;
  try {
    await (recording() ? stopRecording(keep) : startRecording());
  } catch (e) {
    notice(`recording: ${errorText(e)}`);
  } finally {
    recordGeneration++;
    recordInFlight = false;
  }
}

function recording(): boolean {
  return $("record").classList.contains("on");
}

function showRecording(on: boolean): void {
  $("record").classList.toggle("on", on);
  $("discard").hidden = !on;
}

async function startRecording(): Promise<void> {
  const name = $("dataset").value.trim() || "webcam";
  const task = $("task").value.trim() || "webcam";
  await invoke("start_recording", { name, task });
  showRecording(true);
  notice(`Recording "${task}" into ~/Augur/datasets/${name}`);
}

async function stopRecording(keep: boolean): Promise<void> {
  const name = $("dataset").value.trim() || "webcam";
  const r = await invoke("stop_recording", { keep });
  showRecording(false);
  notice(keep ? `Episode ${r.episode} saved (${r.frames} frames) in ~/Augur/datasets/${name}` : "Episode discarded");
}

// The stop reason last shown, so each stop is told once.
let toldStop: string | null = null;
const recordTitle = $("record").title;

async function pollRecording(): Promise<void> {
  const asked = recordGeneration;
  const r = await invoke("recording_status");
  if (!r || asked !== recordGeneration || recordInFlight) return;
  showRecording(r.active);
  $("record").textContent = r.active
    ? `■ ${num(r.seconds, 1)} s · ${num(r.write_rate / 1e6, 1)} MB/s` + (r.free_bytes !== null ? ` · ${num(r.free_bytes / 1e9, 1)} GB free` : "")
    : "● Rec";
  // Told once per stop: the notice bar then carries later messages (an export's folder).
  if (!r.active && r.stopped && r.stopped !== toldStop) {
    notice(`Recording stopped: ${r.stopped}`);
    // Demo mode hides the notice bar; the button keeps the reason where it can be read.
    $("record").title = `Recording stopped: ${r.stopped}. ${recordTitle}`;
  }
  if (r.active) $("record").title = recordTitle;
  toldStop = r.active ? null : r.stopped;
}

// Latent steering: decode the shown moment (or the newest) moved along PC1/PC2. One request
// at a time: a slider dragged fires dozens of input events a second, and each queued request
// would hold the model thread from live predictions; the latest position is sent next.
let steering = false;
let steerAgain = false;
async function steer(): Promise<void> {
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

async function togglePause(): Promise<void> {
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

async function showMoment(index: number | string): Promise<void> {
  const asked = ++momentGeneration;
  const moment = Number(index);
  const stale = () => asked !== momentGeneration;
  scrubbing = moment;
  const prediction = await invoke("prediction", { index: moment });
  if (stale()) return;
  drawImage(prediction, strip, stripCtx);
  if (comparing) {
    const b = await invoke("compare_prediction", { index: moment });
    if (stale()) return;
    drawImage(b, stripB, stripBCtx);
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

async function whatIf(): Promise<void> {
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
    drawImage(rollout, strip, stripCtx);
    $("strip-caption").textContent = `What if: rolled out ${horizon} frames again from moment ${at} with ${context} frames of context`;
  } catch (e) {
    if (!moved()) $("strip-caption").textContent = `what-if failed: ${errorText(e)}`;
  } finally {
    rollingOut = false;
    $("whatif").disabled = scrubbing === null;
  }
}

async function exportRecent(): Promise<void> {
  // The scope draws the dashboard once per moment for dashboard.mp4: the slow part, so it
  // reports each frame.
  $("export").disabled = true;
  notice("Exporting the last 10 s…");
  // Progress is a nicety: an export goes ahead even if the page cannot listen.
  const stop = await window.__TAURI__.event
    .listen<{ done: number; total: number }>("export-progress", (e) => {
      notice(`Exporting the last 10 s: dashboard video ${e.payload.done} / ${e.payload.total} frames`);
    })
    .catch(() => () => {});
  try {
    const r = await invoke("export_recent", { seconds: 10 });
    notice(`Exported ${r.moments} moments to ${r.dir}: ${r.files.join(", ")}` +
      (r.notes.length ? ` (${r.notes.join("; ")})` : ""));
  } catch (e) {
    notice(`export failed: ${errorText(e)}`);
  } finally {
    stop();
    $("export").disabled = false;
  }
}

// Shows or hides model B's strip and legend as the comparison starts or stops.
function showCompare(name: string | null): void {
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

// The horizon menu offers the model's own horizon too (`augur run --horizon 6`): without an
// option for it the menu would read "" and What if… would roll out 0 frames.
function syncHorizon(horizon: number): void {
  const pick = $("horizon");
  if (document.activeElement === pick) return;
  const value = String(horizon);
  const options = Array.from(pick.options);
  if (!options.some((o) => o.value === value)) {
    pick.add(new Option(value), options.find((o) => Number(o.value) > horizon) ?? null);
  }
  pick.value = value;
}

// The context menu offers 1 … the model's context; rebuilt when the model changes.
function syncContext(context: number, max: number): void {
  const pick = $("context");
  if (pick.options.length !== max) {
    pick.replaceChildren(...Array.from({ length: max }, (_, i) => new Option(String(i + 1))));
  }
  if (document.activeElement !== pick) pick.value = String(context);
}

async function toggleAbout(): Promise<void> {
  const box = $("about");
  box.hidden = !box.hidden;
  if (box.hidden) return;
  const a = await invoke("about");
  const line = (text: string) => {
    const p = document.createElement("p");
    p.textContent = text;
    return p;
  };
  box.replaceChildren(
    line(`${a.name} ${a.version} — a live lab for world models. Licence: ${a.license}.`),
    line(a.model ? `Model: ${a.model}` : "No model loaded: the source alone."),
    line(`Datasets, fine-tuned models, exports and settings: ${a.home}`),
    ...a.notices.map((n) => line(`Notice: ${n}`)),
  );
}

function toggleDemo(remember = true): void {
  document.body.classList.toggle("demo");
  const on = document.body.classList.contains("demo");
  if (remember) invoke("set_demo", { on }).catch(() => {});
  if (on && document.fullscreenEnabled) {
    document.documentElement.requestFullscreen().catch(() => {});
  } else if (document.fullscreenElement) {
    document.exitFullscreen().catch(() => {});
  }
}

/** Wires a picker whose change `apply` makes in the app. A change refused puts the picker back
 * to the value it had, so it never names a source or model that is not in use. */
function onPick(pick: HTMLSelectElement, refused: string, apply: (value: string) => Promise<void>): void {
  // Read when the user reaches for it: the page also sets it (Play episode clears the source).
  let before = pick.value;
  const remember = () => { before = pick.value; };
  pick.addEventListener("focus", remember);
  pick.addEventListener("pointerdown", remember);
  pick.addEventListener("change", async () => {
    const value = pick.value;
    try {
      await apply(value);
      before = value;
    } catch (err) {
      if (pick.value === value) pick.value = before;
      notice(`${refused}: ${errorText(err)}`);
    }
  });
}

/** Whether a key belongs to the control it was typed into (← → would also switch a picker's choice). */
function typedInto(target: EventTarget | null): boolean {
  return target instanceof HTMLElement &&
    (["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName) || target.isContentEditable);
}

function shortcut(e: KeyboardEvent): void {
  // A held key repeats some 30 times a second (Space would flip pause and play, r start and
  // stop recordings); with Ctrl, Alt or Meta the key is the webview's (Ctrl+R) or the system's.
  if (e.repeat || e.ctrlKey || e.altKey || e.metaKey || typedInto(e.target)) return;
  if (e.key === "d") toggleDemo();
  if (e.key === "r" && hasModel) toggleRecord(true);
  if (e.key === " " && hasModel) { e.preventDefault(); togglePause(); }
  if ((e.key === "ArrowLeft" || e.key === "ArrowRight") && scrubbing !== null) {
    e.preventDefault();
    const s = $("scrub");
    s.value = String(Number(s.value) + (e.key === "ArrowLeft" ? -1 : 1));
    showMoment(s.value);
  }
}

async function start(): Promise<void> {
  const info = await invoke("app_info");
  useStream(info.stream);
  document.title = `Augur ${info.version} — ${info.source}`;
  $("version").textContent = `v${info.version}`;
  const v = info.video;
  const video = v ? `${v.description} · ${v.width}×${v.height} @ ${num(v.fps, 1)} fps` : info.source;
  showSource(video, info.sound ?? info.audio?.description ?? null);
  hasModel = info.model !== null;
  if (info.sound) $("sound-panel").hidden = false;
  if (hasModel) {
    $("model").textContent = `model ${info.model}`;
    $("model-panels").hidden = false;
    $("pause").disabled = false;
    $("horizon").disabled = false;
    $("context").disabled = false;
    $("stride").disabled = false;
    $("export").disabled = false;
    $("source-pick").disabled = false;
    $("record").disabled = false;
    $("task").disabled = false;
    $("dataset").disabled = false;
    $("record").addEventListener("click", () => toggleRecord(true));
    $("browse").addEventListener("click", toggleBrowser);
    $("scope-toggle").disabled = false;
    $("scope-toggle").addEventListener("click", () => toggleScope(() => comparing));
    $("discard").addEventListener("click", () => toggleRecord(false));
    every(500, pollRecording);
    await refreshModels();
    startMicrophonePicker((sound) => showSource(undefined, sound));
    startTrainingPanel();
  }
  if (info.settings.demo) toggleDemo(false);
  if (hasModel) {
    showCompare(info.compare);
    if (info.compare) $("compare-pick").value = info.compare;
  }
  if (info.notices.length) {
    $("notice").textContent = info.notices.join(" · ");
    $("notice").hidden = false;
  }
  $("pause").addEventListener("click", togglePause);
  $("demo").addEventListener("click", () => toggleDemo());
  $("scrub").addEventListener("input", () => showMoment($("scrub").value));
  $("pc1").addEventListener("input", steer);
  $("pc2").addEventListener("input", steer);
  onPick($("source-pick"), "cannot switch", async (preset) => {
    if (!preset) return;
    await invoke("set_source", { preset });
    showSource($("source-pick").selectedOptions[0].textContent ?? preset);
    // The source's own sound comes and goes with it (and the sound it follows); the source
    // did switch even if the microphones cannot be read, so that is no reason to undo the pick.
    await refreshMicrophones().catch((e) => notice(errorText(e)));
  });
  onPick($("model-pick"), "cannot load", async (name) => {
    $("model").textContent = `model ${await invoke("set_model", { name })}`;
  });
  onPick($("compare-pick"), "cannot compare", async (name) => {
    showCompare(await invoke("set_compare", { name: name || null }));
    if (comparing) notice("A/B: both models share the predictions' time, so each refreshes at about half the rate");
  });
  $("whatif").addEventListener("click", whatIf);
  $("export").addEventListener("click", exportRecent);
  $("horizon").addEventListener("change", () => invoke("set_horizon", { horizon: Number($("horizon").value) }));
  $("context").addEventListener("change", () => invoke("set_context", { context: Number($("context").value) }).catch((e) => notice(errorText(e))));
  $("stride").addEventListener("change", () => invoke("set_stride", { stride: Number($("stride").value) }).catch((e) => notice(errorText(e))));
  $("version").addEventListener("click", toggleAbout);
  document.addEventListener("keydown", shortcut);
  every(250, pollStatus);
  // The imagined frame follows the newest moment (or the one scrubbed to) once a second.
  if (hasModel) every(1000, steer);
  requestAnimationFrame(drawLatest);
  if (info.bench) {
    runBench(info.bench, info.stream, () => ({ frames: drawn, predictions: predictionsDrawn }))
      .catch((e) => notice(`benchmark failed: ${errorText(e)}`));
  }
}

start();
