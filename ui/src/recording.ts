// Keeping what the source shows: recording episodes into a dataset (● Rec, Discard, the r key)
// and exporting the last 10 s.
import { $, errorText, invoke, notice, num } from "./util";

// One start or stop at a time, and the button's state from its reply: the status poll alone
// comes every 500 ms, so a quick second press would start a second recording. Bumped when one
// starts and lands, like pauseGeneration (timeline.ts), so a status read begun before does not undo it.
let recordInFlight = false;
let recordGeneration = 0;

export async function toggleRecord(keep = true): Promise<void> {
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

export async function pollRecording(): Promise<void> {
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

export async function exportRecent(): Promise<void> {
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
