// The source picker's cameras: this machine's, read from the app again whenever the pointer or
// the focus reaches the picker (cameras come and go). The page picks one by its id from that
// list (`camera:<index>`); the preset "camera 0" stands in while none is listed.
import { $, invoke, rereadOnReach } from "./util";

/** The rows last put in the picker, so an unchanged list leaves an open drop-down alone. */
let shown = "";

async function refreshCameras(): Promise<void> {
  const rows = await invoke("cameras");
  const key = JSON.stringify(rows);
  if (key === shown) return;
  shown = key;
  const pick = $("source-pick");
  const picked = pick.value;
  for (const o of Array.from(pick.options)) if (o.dataset.camera) o.remove();
  const preset = Array.from(pick.options).find((o) => o.value === "camera");
  if (preset) preset.hidden = rows.length > 0;
  rows.forEach((row, i) => {
    const o = new Option(`camera: ${row.name}`, row.id);
    o.dataset.camera = "yes";
    pick.add(o, 1 + i);
  });
  // A camera picked and gone leaves the picker on "source…".
  pick.value = Array.from(pick.options).some((o) => o.value === picked && !o.hidden) ? picked : "";
}

/** Lists the cameras now and whenever the picker is reached. */
export function startCameraRows(): void {
  rereadOnReach($("source-pick"), refreshCameras)();
}
