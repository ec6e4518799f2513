// Helpers every part of the UI uses: commands, elements, numbers, polling, binary images.
export const invoke = window.__TAURI__.core.invoke;
export const $ = (id) => document.getElementById(id);
export const num = (v, digits = 0) => (typeof v === "number" && isFinite(v) ? v.toFixed(digits) : "–");

export function notice(text) {
  $("notice").textContent = text;
  $("notice").hidden = false;
}

export function every(ms, fn) {
  const tick = async () => {
    try { await fn(); } catch (e) { console.error(e); }
    setTimeout(tick, ms);
  };
  setTimeout(tick, ms);
}

// Draws a frame sent as [width u32, height u32, index u64, RGBA…] into `canvas`; returns its index.
export function drawImage(buf, canvas, ctx) {
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


// The loopback frame stream (faster than IPC for pixels: bench/results/window.md); IPC when the
// app has none. `pixels(path, query, command, args)` answers the bytes either way.
let stream = null;
export function useStream(info) {
  stream = info;
}

export async function pixels(path, query, command, args) {
  if (!stream) return invoke(command, args);
  const q = new URLSearchParams({ token: stream.token, ...query });
  const r = await fetch(`${stream.url}${path}?${q}`, { cache: "no-store" });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.arrayBuffer();
}
