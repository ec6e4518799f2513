// Augur's UI: the live source, the model's predictions beside it, surprise over time and the
// latent trajectory. Frames and predictions arrive as raw RGBA over the loopback frame stream,
// or Tauri's binary IPC when there is none.
import "./style.css";
import { $, ctx2d, drawImage, errorText, every, invoke, notice, num, pixels, showSource, useStream } from "./util";
import { refreshModels, startTrainingPanel, toggleBrowser } from "./datasets";
import { runBench } from "./bench";
import { toggleScope } from "./scope";
import { refreshMicrophones, startMicrophonePicker } from "./microphone";
import { startCameraRows } from "./sources";
import { drawSound, plotSurprise, plotTrajectory } from "./plots";
import { exportRecent, pollRecording, toggleRecord } from "./recording";
import { drawStrip, drawStripB, isComparing, showCompare } from "./strips";
import { pauseRead, scrubbedTo, showMoment, steer, togglePause, whatIf } from "./timeline";

// The microphone's failure last told (null while it is heard).
let toldLost: string | null = null;

const live = $("live");
const liveCtx = ctx2d(live);
let drawn = 0;
// When a live frame was last drawn, and why drawing the last one failed: the overlay on the
// live view says why the picture stands still (the status line is hidden in demo mode).
let lastDrawnAt = performance.now();
let frameError: string | null = null;
let predictionsDrawn = 0;
let lastPrediction = -1;
let reported = false;
let hasModel = false;

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

let wasFollowing = false;
// Bumped when a horizon, context or stride choice is sent and when it lands.
let settingsChanged = 0;

/** The moment whose strip is shown, for asking only for a newer one. */
function shownQuery(): { shown?: number } {
  return lastPrediction >= 0 ? { shown: lastPrediction } : {};
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
    const following = hasModel && scrubbedTo() === null;
    // Sent only when newer than the strip shown (predictions come some ten times a second);
    // asked for whole on playing again, since scrubbing and What if… drew over it.
    const shown = following && wasFollowing ? shownQuery() : {};
    wasFollowing = following;
    const [frame, prediction] = await Promise.all([
      pixels("/frame", { fit: fit.join("x") }, "latest_frame", { fit }),
      following ? pixels("/prediction", shown, "prediction", { index: null, ...shown }) : null,
    ]);
    const index = drawImage(frame, live, liveCtx);
    frameError = null;
    if (index !== null) {
      drawn += 1;
      lastDrawnAt = performance.now();
      // Timed by the app from the frame's capture: camera-to-screen latency.
      invoke("frame_drawn", { index }).catch(() => {});
    }
    if (following) {
      const moment = drawStrip(prediction);
      if (moment !== null && moment !== lastPrediction) {
        lastPrediction = moment;
        predictionsDrawn += 1;
        if (isComparing()) {
          drawStripB(await pixels("/compare", { index: moment }, "compare_prediction", { index: moment }));
        }
      }
    }
    await maybeReport();
  } catch (e) {
    frameError = errorText(e);
  }
  requestAnimationFrame(drawLatest);
}

async function pollStatus(): Promise<void> {
  const s = await invoke("source_status");
  let text = `${s.frames} frames from the source, ${s.skipped} lost` + (s.ended ? ` — ${s.ended}` : "") +
    (s.screen_latency_p50_ms !== null ? ` · camera→screen p50 ${num(s.screen_latency_p50_ms)} ms` : "");
  if (hasModel) {
    try {
      const showPaused = pauseRead();
      const asked = settingsChanged;
      const m = await invoke("model_state");
      const st = m.stats;
      text += ` · preview ${num(st.preview_fps, 1)} fps · predictions ${num(st.prediction_hz, 1)} Hz` +
        ` · latency p50 ${num(st.latency_p50_ms)} ms · model skipped ${st.model_skipped}`;
      showPaused(m.paused);
      // Read before a choice landed: it would put the old value back for a poll.
      if (asked === settingsChanged) {
        syncHorizon(m.horizon);
        syncContext(m.context, m.model_context);
        if (document.activeElement !== $("stride")) $("stride").value = String(m.stride);
      }
      showCompare(m.compare);
      plotSurprise(m.surprise, m.compare ? m.compare_surprise : []);
      $("kept").textContent = scrubbedTo() === null ? keptText(m.kept) : "";
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
  showStalled(s.ended);
}

/** The overlay on the live view: the source's end or retry, a frame that failed, or how long
 * no new frame has come (over 2 s); hidden while frames come. */
function showStalled(ended: string | null): void {
  const still = (performance.now() - lastDrawnAt) / 1000;
  const why = frameError !== null ? `The live view cannot get frames: ${frameError}`
    : ended !== null && still > 1 ? `No new frame: ${ended}`
    : still > 2 ? `No new frame for ${Math.floor(still)} s`
    : null;
  $("stalled").hidden = why === null;
  if (why !== null) $("stalled").textContent = why;
}

/** How much of its predicted change a fading model shows now (empty for one that does not fade). */
function keptText(kept: number[] | null): string {
  if (!kept || kept.length === 0) return "";
  const pct = (v: number): string => `${Math.round(v * 100)} %`;
  if (kept.every((k) => k < 0.05)) return " · its recent guesses did not help, so it shows the frame as it is";
  const far = kept.length > 1 ? `, ${pct(kept[kept.length - 1])} at t+${kept.length}` : "";
  return ` · keeps ${pct(kept[0])} of its predicted change at t+1${far} (what its guesses earned)`;
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

function toggleDemo(): void {
  setDemo(!document.body.classList.contains("demo"));
}

/** Demo mode: large panels, no debug figures, the window full screen (the app does that part,
 * and remembers the mode for the next run). */
function setDemo(on: boolean, remember = true): void {
  document.body.classList.toggle("demo", on);
  if (on) {
    // Panels whose buttons demo mode hides would stay up with no way to close them.
    $("about").hidden = true;
    if (!$("browser").hidden) void toggleBrowser();
    if (!$("scope-panel").hidden) toggleScope(isComparing);
  }
  invoke("set_demo", { on, remember }).catch((e) => notice(`Demo mode: ${errorText(e)}`));
}

/** Wires a picker whose change `apply` makes in the app. A change refused puts the picker back
 * to the value it had, so it never names a source or model that is not in use. */
function onPick(pick: HTMLSelectElement, refused: string, apply: (value: string) => Promise<boolean | string | void>): void {
  // What the picker stands for in the app: read when the user reaches for it while nothing is
  // on its way (the page also sets it: Play episode clears the source), and set by each change
  // as it lands. Changes may land out of order (a model loads for seconds, a file dialog waits
  // for its answer), so the picker shows what landed last once none is on its way.
  let before = pick.value;
  let pending = 0;
  const remember = () => { if (pending === 0) before = pick.value; };
  pick.addEventListener("focus", remember);
  pick.addEventListener("pointerdown", remember);
  pick.addEventListener("change", async () => {
    const value = pick.value;
    pending++;
    try {
      // `false`: nothing changed (a dialog cancelled), the picker goes back without a word; a
      // string: what the picker stands for now (a file plays under "source…").
      const now = await apply(value);
      if (now !== false) before = typeof now === "string" ? now : value;
    } catch (err) {
      notice(`${refused}: ${errorText(err)}`);
    } finally {
      pending--;
      if (pending === 0) pick.value = before;
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
  if ((e.key === "ArrowLeft" || e.key === "ArrowRight") && scrubbedTo() !== null) {
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
    startCameraRows();
    $("record").disabled = false;
    $("task").disabled = false;
    $("dataset").disabled = false;
    $("record").addEventListener("click", () => toggleRecord(true));
    $("browse").addEventListener("click", toggleBrowser);
    $("scope-toggle").disabled = false;
    $("scope-toggle").addEventListener("click", () => toggleScope(isComparing));
    $("discard").addEventListener("click", () => toggleRecord(false));
    every(500, pollRecording);
    await refreshModels().catch((e) => notice(`the model list: ${errorText(e)}`));
    startMicrophonePicker((sound) => showSource(undefined, sound));
    startTrainingPanel();
  }
  // `--demo` opens it for this run only; a remembered one stays remembered.
  if (info.demo) setDemo(true, info.settings.demo);
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
    if (preset === "file") {
      // The app asks for the file in a native dialog: the page never names a path. It refuses a
      // second dialog while one is up (the dialog does not hold the window), which is said.
      const playing = await invoke("open_video_file");
      if (playing === null) return false;
      showSource(`${playing} (looping)`);
      await refreshMicrophones().catch((e) => notice(errorText(e)));
      return "";
    }
    await invoke("set_source", { preset });
    // The option switched to, not the one shown now: a second pick may have come meanwhile.
    const picked = Array.from($("source-pick").options).find((o) => o.value === preset);
    showSource(picked?.textContent ?? preset);
    // The source's own sound comes and goes with it (and the sound it follows); the source
    // did switch even if the microphones cannot be read, so that is no reason to undo the pick.
    await refreshMicrophones().catch((e) => notice(errorText(e)));
  });
  onPick($("model-pick"), "cannot load", async (name) => {
    $("model").textContent = `model ${await invoke("set_model", { name })}`;
  });
  onPick($("compare-pick"), "cannot compare", async (name) => {
    showCompare(await invoke("set_compare", { name: name || null }));
    if (isComparing()) notice("A/B: both models share the predictions' time, so each refreshes at about half the rate");
  });
  $("whatif").addEventListener("click", whatIf);
  $("export").addEventListener("click", exportRecent);
  // Counted before and after each lands, so a status read meanwhile leaves the menus be.
  const setting = (p: Promise<unknown>) => {
    settingsChanged++;
    p.catch((e) => notice(errorText(e))).finally(() => settingsChanged++);
  };
  $("horizon").addEventListener("change", () => setting(invoke("set_horizon", { horizon: Number($("horizon").value) })));
  $("context").addEventListener("change", () => setting(invoke("set_context", { context: Number($("context").value) })));
  $("stride").addEventListener("change", () => setting(invoke("set_stride", { stride: Number($("stride").value) })));
  $("version").addEventListener("click", toggleAbout);
  document.addEventListener("keydown", shortcut);
  // A picker chosen with the pointer lets go of the focus, so the shortcuts (d, r, space), which
  // keys typed into a picker do not reach, work again at once; one stepped through with the
  // keyboard keeps it.
  let pointed: EventTarget | null = null;
  document.addEventListener("pointerdown", (e) => { pointed = e.target; });
  document.addEventListener("change", (e) => {
    if (e.target instanceof HTMLSelectElement && e.target === pointed) e.target.blur();
  });
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
