// The window benchmark (`augur-app --bench N`, run by `augur bench window`): after N seconds of
// live drawing, fetch test images of the live and scope sizes over Tauri's binary IPC and over
// the loopback frame stream, time both, and hand the figures to the app, which prints them and exits.
import { invoke } from "./util";
import type { BenchInfo, StreamInfo, TransportTiming } from "./commands";

const SIZES: [number, number][] = [[640, 480], [1280, 720], [1920, 1080]];
const ROUNDS = 30;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.round((sorted.length - 1) * q)];
}

// Times `fetchOnce` (which resolves to the bytes received) ROUNDS times after 3 warm-up calls.
async function time(
  transport: TransportTiming["transport"],
  width: number,
  height: number,
  fetchOnce: () => Promise<ArrayBuffer>,
): Promise<TransportTiming> {
  const expected = 16 + width * height * 4;
  for (let i = 0; i < 3; i++) await fetchOnce();
  const ms: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const buf = await fetchOnce();
    ms.push(performance.now() - t0);
    if (buf.byteLength !== expected) throw new Error(`${transport}: ${buf.byteLength} bytes, expected ${expected}`);
  }
  ms.sort((a, b) => a - b);
  return { width, height, transport, p50_ms: quantile(ms, 0.5), p99_ms: quantile(ms, 0.99), count: ROUNDS };
}

export async function runBench(
  bench: BenchInfo,
  stream: StreamInfo | null,
  counts: () => { frames: number; predictions: number },
): Promise<void> {
  if (!stream) throw new Error("the app opened no frame stream to compare with IPC");
  await new Promise((done) => setTimeout(done, bench.seconds * 1000));
  const seconds = bench.seconds;
  const drawn = { frames: counts().frames, predictions: counts().predictions };
  const transports: TransportTiming[] = [];
  for (const [width, height] of SIZES) {
    transports.push(await time("ipc", width, height, () => invoke("bench_payload", { width, height })));
    const url = `${stream.url}/payload?token=${stream.token}&width=${width}&height=${height}`;
    transports.push(await time("loopback", width, height, async () => (await fetch(url, { cache: "no-store" })).arrayBuffer()));
  }
  await invoke("bench_report", {
    report: { seconds, frames_drawn: drawn.frames, predictions_drawn: drawn.predictions, transports },
  });
}
