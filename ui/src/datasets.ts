// The dataset browser (episodes with thumbnails and the model's surprise over each), replaying
// an episode as the live source, fine-tuning the model on a dataset, and the model picker.
import { $, ctx2d, drawImage, errorText, every, invoke, notice, num, showSource } from "./util";
import type { DatasetRow, EpisodeRow, TrainingStatus } from "./commands";
import { refreshMicrophones } from "./microphone";

// Surprise curves are computed one at a time (each runs the model over a whole episode).
let queue: Promise<void> = Promise.resolve();
const AUTO_CURVES = 12;

// Thumbnails are asked for two at a time: each decodes video on one of the app's few worker
// threads, and a large dataset asked for at once would stall the status line and the plots.
const THUMBNAILS_AT_ONCE = 2;
const thumbnailsWaiting: (() => Promise<void>)[] = [];
let thumbnailsRunning = 0;

// Bumped on every opening and closing of the browser: a dataset list asked for before it is
// dropped (its cards would fill a hidden or newer browser and start their thumbnails and curves).
let browserGeneration = 0;

/** Whether work for a card in `canvas` is still wanted: its browser is shown and holds it. */
function wanted(canvas: HTMLCanvasElement): boolean {
  return canvas.isConnected && !$("browser").hidden;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

// A small line plot of `series` (y from 0 to the maximum) into `canvas`; a null (NaN in Rust)
// counts as 0.
function plotLine(canvas: HTMLCanvasElement, series: (number | null)[][], colours: string[]): void {
  const ctx = ctx2d(canvas);
  const { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  const all = series.flat().map((v) => v ?? 0).filter((v) => isFinite(v));
  if (!all.length) return;
  const max = Math.max(...all) || 1;
  series.forEach((values, k) => {
    ctx.strokeStyle = colours[k];
    ctx.beginPath();
    values.forEach((v, i) => {
      const x = (i / Math.max(1, values.length - 1)) * (w - 2) + 1;
      const y = h - 2 - (Math.max(0, v ?? 0) / max) * (h - 4);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
    ctx.stroke();
  });
}

function surpriseCurve(ds: string, ep: number, canvas: HTMLCanvasElement, caption: HTMLElement): void {
  caption.textContent = "surprise: computing…";
  queue = queue.then(async () => {
    // The browser was closed or opened again since: its cards are gone or hidden, and running
    // the model over a whole episode for nothing would only slow the live view.
    if (!wanted(canvas)) return;
    try {
      const s = await invoke("episode_surprise", { name: ds, episode: ep });
      plotLine(canvas, [s.values], ["#ff8a5a"]);
      const peak = s.values.reduce<number>((best, v, i) => ((v ?? 0) > (s.values[best] ?? 0) ? i : best), 0);
      caption.textContent = s.values.length
        ? `surprise (${s.model}): peak at frame ${peak + s.first_frame}` + (s.truncated ? ", first minute" : "")
        : "too short for a surprise curve";
    } catch (e) {
      caption.textContent = `surprise: ${errorText(e)}`;
    }
  });
}

function thumbnail(ds: string, ep: number, canvas: HTMLCanvasElement): void {
  thumbnailsWaiting.push(async () => {
    if (!wanted(canvas)) return;
    try {
      drawImage(await invoke("episode_thumbnail", { name: ds, episode: ep }), canvas, ctx2d(canvas));
    } catch (e) {
      canvas.title = `no thumbnail: ${errorText(e)}`;
    }
  });
  nextThumbnails();
}

function nextThumbnails(): void {
  while (thumbnailsRunning < THUMBNAILS_AT_ONCE) {
    const job = thumbnailsWaiting.shift();
    if (!job) return;
    thumbnailsRunning++;
    job().finally(() => {
      thumbnailsRunning--;
      nextThumbnails();
    });
  }
}

function episodeCard(ds: DatasetRow, ep: EpisodeRow, index: number): HTMLDivElement {
  const thumb = el("canvas", { width: 160, height: 90, title: "First frame" });
  thumbnail(ds.name, ep.episode, thumb);
  const curve = el("canvas", { width: 160, height: 36, className: "curve" });
  const caption = el("small", { textContent: "" });
  const play = el("button", { textContent: "▶ Play", title: "Play this episode as the live source (looping)" });
  play.addEventListener("click", async () => {
    try {
      await invoke("play_episode", { name: ds.name, episode: ep.episode });
      showSource(`dataset ${ds.name}, episode ${ep.episode} (looping)`);
      // No preset plays now; picking the last one again must still fire `change`.
      $("source-pick").value = "";
      closeBrowser();
      // An episode recorded with sound offers its own sound in the microphone picker.
      await refreshMicrophones();
    } catch (e) {
      notice(`cannot play: ${errorText(e)}`);
    }
  });
  const card = el(
    "div",
    { className: "episode" },
    thumb,
    el("div", {}, `${ep.episode}: ${ep.task}`, el("br"), `${num(ep.seconds, 1)} s · ${ep.frames} frames` + (ep.recovered ? " · recovered" : "")),
    curve,
    caption,
    play,
  );
  if (index < AUTO_CURVES) surpriseCurve(ds.name, ep.episode, curve, caption);
  else {
    const more = el("button", { textContent: "Surprise", title: "Run the model over this episode" });
    more.addEventListener("click", () => surpriseCurve(ds.name, ep.episode, curve, caption));
    card.append(more);
  }
  return card;
}

function fineTuneControls(ds: DatasetRow): HTMLSpanElement {
  const steps = el("input", { type: "number", min: "1", max: "5000", value: "100", title: "Optimiser steps" });
  const rate = el("input", {
    type: "number", min: "0.0000001", max: "0.1", step: "any", value: "0.0003",
    title: "Peak learning rate (lower it if a fine-tune says it diverged)",
  });
  const name = el("input", { type: "text", value: `${ds.name}-tuned`, title: "Name of the new model" });
  const go = el("button", { textContent: "Fine-tune", title: "Train the model in use further on this dataset, in the background" });
  go.disabled = ds.episodes.length === 0;
  go.addEventListener("click", async () => {
    try {
      await invoke("start_training", { dataset: ds.name, name: name.value, steps: Number(steps.value), lr: Number(rate.value) });
      lastTraining = null; // a new run: its end is shown even when it looks like the last one's
      $("training").hidden = false;
    } catch (e) {
      notice(`cannot fine-tune: ${errorText(e)}`);
    }
  });
  return el("span", { className: "tune" }, "steps ", steps, " rate ", rate, " as ", name, go);
}

function closeBrowser(): void {
  browserGeneration++;
  $("browser").hidden = true;
  $("datasets").replaceChildren(); // its queued thumbnails and surprise curves are dropped with the cards
}

export async function toggleBrowser(): Promise<void> {
  if (!$("browser").hidden) return closeBrowser();
  const asked = ++browserGeneration;
  $("browser").hidden = false;
  const root = $("datasets");
  root.textContent = "reading the datasets…"; // it can take seconds
  let list: DatasetRow[];
  try {
    list = await invoke("list_datasets");
  } catch (e) {
    if (asked === browserGeneration) root.textContent = `cannot list the datasets: ${errorText(e)}`;
    return;
  }
  if (asked !== browserGeneration || $("browser").hidden) return;
  showDatasets(root, list);
}

function showDatasets(root: HTMLElement, list: DatasetRow[]): void {
  root.replaceChildren();
  if (!list.length) root.textContent = "none yet: press ● Rec to record one";
  let shown = 0;
  for (const ds of list) {
    const repaired = ds.repaired ? ` · ${ds.repaired} repaired after a crash` : "";
    root.append(el("h3", {}, `${ds.name} · ${ds.episodes.length} episodes${repaired} `, fineTuneControls(ds)));
    for (const p of ds.problems) root.append(el("p", { className: "problem" }, p));
    const row = el("div", { className: "episodes" });
    for (const ep of ds.episodes) row.append(episodeCard(ds, ep, shown++));
    root.append(row);
  }
}

// The model picker, with what each model's card says in its tooltip.
export async function refreshModels(): Promise<void> {
  const models = await invoke("list_models");
  const pick = $("model-pick");
  pick.replaceChildren();
  for (const m of models) {
    const trained = m.fine_tuned_from ? `fine-tuned from ${m.fine_tuned_from.split("/").pop()}` : "trained";
    const o = el("option", { value: m.name, textContent: m.name + (m.fine_tuned_from ? " (fine-tuned)" : "") });
    o.title = `${(m.parameters / 1e6).toFixed(2)} M parameters, ${trained} ${m.steps} steps on ${m.data.join(", ")}`;
    o.selected = m.current;
    pick.append(o);
  }
  pick.disabled = models.length < 2;
  $("model").hidden = models.length > 0;
  // A/B: any model may be compared with the one in use, itself included (a sanity check).
  const compare = $("compare-pick");
  const chosen = compare.value;
  compare.replaceChildren(el("option", { value: "", textContent: "compare with…" }));
  for (const m of models) compare.append(el("option", { value: m.name, textContent: `B: ${m.name}`, selected: m.name === chosen }));
  compare.disabled = models.length === 0;
}

let lastTraining: TrainingStatus | null = null;
let modelsStale = false; // a run wrote a model the picker does not list yet

// The fine-tune panel: progress, loss plot, cancel, and the new model once it is written.
async function pollTraining(): Promise<void> {
  const t = await invoke("training_status");
  if (!t) return;
  // The app keeps the last run's status for good: once its end is shown, the panel is left as
  // it is (closed, if closed) until another run starts.
  const shownEnded = lastTraining !== null && !lastTraining.running && !t.running && lastTraining.name === t.name &&
    lastTraining.step === t.step;
  if (shownEnded) {
    // The picker missed the new model (the list was refused): ask again.
    if (modelsStale) {
      await refreshModels();
      modelsStale = false;
    }
    return;
  }
  $("training").hidden = false;
  $("close-training").hidden = t.running;
  const eta = Math.round(t.eta_s ?? 0);
  $("training-text").textContent = t.running
    ? `Fine-tuning ${t.name} on ${t.device}: step ${t.step}/${t.steps} · ${num(t.samples_per_s, 1)} clips/s · ${Math.floor(eta / 60)}m${String(eta % 60).padStart(2, "0")}s left`
    : t.error
      ? `Fine-tuning ${t.name} failed: ${t.error}`
      : `${t.name} ${t.cancelled ? "cancelled" : "done"} after ${t.step} steps` + (t.model ? "; it is in the model picker" : "");
  $("training-bar").value = t.steps ? t.step / t.steps : 0;
  $("cancel-training").hidden = !t.running;
  plotLine($("loss"), [t.losses.map((l) => l[1]), t.losses.map((l) => l[2])], ["#5ac8ff", "#ffd98a"]);
  if (lastTraining?.running && !t.running && t.model) modelsStale = true;
  lastTraining = t;
  if (modelsStale) {
    await refreshModels();
    modelsStale = false;
  }
}

export function startTrainingPanel(): void {
  $("cancel-training").addEventListener("click", () => invoke("cancel_training").catch((e) => notice(errorText(e))));
  $("close-training").addEventListener("click", () => { $("training").hidden = true; });
  every(1000, pollTraining);
}
