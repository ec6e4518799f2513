// The microphone picker: the list comes from the app (ids only; the page never names a device
// or a file), is read again whenever the pointer or the focus reaches the picker (devices come
// and go), and the sound panel follows what is listened to.
import { $, errorText, invoke, notice, rereadOnReach } from "./util";
import type { Microphones } from "./commands";

/** Fills the picker from the app's list and shows the sound panel when something is heard. */
export async function refreshMicrophones(): Promise<void> {
  const m = await invoke("microphones");
  showMicrophones(m);
  heard(m.listening);
}

/** Told what is listened to whenever that may have changed. */
let heard: (listening: string | null) => void = () => {};

/** The list last put in the picker, so an unchanged list leaves an open drop-down alone. */
let shown = "";

function showMicrophones(m: Microphones): void {
  const pick = $("mic-pick");
  const current = m.microphones.find((r) => r.current);
  // Listening to something the list does not hold (an audio file from the command line).
  const outside = !current && !m.own_current && m.listening ? m.listening : null;
  const key = JSON.stringify([m.microphones.map((r) => [r.id, r.name, r.is_default, r.config]), outside, m.own_sound]);
  if (key !== shown) {
    shown = key;
    pick.replaceChildren();
    pick.add(new Option("no microphone", "none"));
    if (m.own_sound) pick.add(new Option("the source's own sound", "own"));
    for (const row of m.microphones) {
      // Words, not an emoji: without a colour-emoji font (a fresh Debian) it shows as a box.
      const label = `microphone: ${row.name}${row.is_default ? " (default)" : ""}`;
      const opt = new Option(label, row.id);
      opt.title = row.config;
      pick.add(opt);
    }
    if (outside) {
      const opt = new Option(outside, "");
      opt.disabled = true;
      pick.add(opt);
    }
  }
  pick.value = current ? current.id : m.own_current ? "own" : outside ? "" : "none";
  pick.title = m.error ? `No microphones: ${m.error}` : "Switch the microphone (refused while recording)";
  $("sound-panel").hidden = m.listening === null;
}

/** Wires the picker; call once the session has a model (without one nothing listens).
 * `onListening` is told what is heard after every change. */
export function startMicrophonePicker(onListening: (listening: string | null) => void): void {
  heard = onListening;
  const pick = $("mic-pick");
  pick.disabled = false;
  // A list that did not change is left as it is.
  rereadOnReach(pick, refreshMicrophones);
  pick.addEventListener("change", async () => {
    if (!pick.value) return;
    try {
      const listening = await invoke("set_microphone", { id: pick.value });
      notice(listening ? `Listening to ${listening}` : "No microphone: the model's audio token hears silence");
    } catch (err) {
      notice(`cannot switch the microphone: ${errorText(err)}`);
    }
    await refreshMicrophones();
  });
  refreshMicrophones().catch((e) => notice(errorText(e)));
}
