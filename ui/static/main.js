// Augur's first UI: shows the live source and its counters. The TypeScript + Vite front end
// (pickers, timeline, predictions) replaces this once the live engine lands.
const invoke = window.__TAURI__.core.invoke;
const canvas = document.getElementById("live");
const ctx = canvas.getContext("2d");
let drawn = 0;
let reported = false;

function distinctColours(data) {
  const seen = new Set();
  for (let i = 0; i < data.length && seen.size < 4096; i += 4 * 97) {
    seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
  }
  return seen.size;
}

async function drawLatest() {
  try {
    const buf = await invoke("latest_frame");
    if (buf && buf.byteLength > 16) {
      const head = new DataView(buf, 0, 16);
      const w = head.getUint32(0, true);
      const h = head.getUint32(4, true);
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
      const pixels = new Uint8ClampedArray(buf, 16, w * h * 4);
      ctx.putImageData(new ImageData(pixels, w, h), 0, 0);
      drawn += 1;
      if (drawn >= 10 && !reported) {
        reported = true;
        const shown = ctx.getImageData(0, 0, w, h).data;
        await invoke("smoke_report", { framesDrawn: drawn, distinctColours: distinctColours(shown) });
      }
    }
  } catch (e) {
    document.getElementById("status").textContent = `frame error: ${e}`;
  }
  requestAnimationFrame(drawLatest);
}

async function pollStatus() {
  const s = await invoke("source_status");
  const text = `${s.frames_produced} frames from the source, ${s.frames_shown} shown, ${s.frames_skipped} skipped` +
    (s.ended ? ` — ${s.ended}` : "");
  document.getElementById("status").textContent = text;
}

async function start() {
  const info = await invoke("app_info");
  document.title = `Augur ${info.version} — ${info.source}`;
  document.getElementById("version").textContent = `v${info.version}`;
  document.getElementById("source").textContent =
    `${info.video.description} · ${info.video.width}×${info.video.height} @ ${info.video.fps.toFixed(1)} fps` +
    (info.audio ? ` · ${info.audio.description}` : " · no sound");
  if (info.notice) {
    const n = document.getElementById("notice");
    n.textContent = info.notice;
    n.hidden = false;
  }
  setInterval(pollStatus, 500);
  requestAnimationFrame(drawLatest);
}

start();
