// What each Rust command the page calls takes and answers (src-tauri/src/commands/). Results
// are serde's JSON, so fields keep their Rust (snake_case) names; arguments are camelCase.
// An f64 or f32 that is NaN arrives as null, so fields that may be NaN are `number | null`.

/** augur_capture::SourceInfo: what a video source negotiated. */
export interface SourceInfo {
  description: string;
  width: number;
  height: number;
  fps: number;
  native_format: string;
  live: boolean;
  notes: string[];
}

/** augur_capture::AudioInfo: what an audio source negotiated. */
export interface AudioInfo {
  description: string;
  sample_rate: number;
  channels: number;
  native_format: string;
}

/** settings::Settings: what the window remembered from the last run. */
export interface Settings {
  source: string | null;
  model: string | null;
  compare: string | null;
  horizon: number | null;
  demo: boolean;
}

/** bench::BenchInfo: the window benchmark to run (`--bench`). */
export interface BenchInfo {
  seconds: number;
}

/** stream::StreamInfo: the loopback frame stream. */
export interface StreamInfo {
  url: string;
  token: string;
}

export interface MicrophoneRow {
  id: string;
  name: string;
  is_default: boolean;
  config: string;
  current: boolean;
}

export interface CameraRow {
  /** `camera:<index>`, what `set_source` takes. */
  id: string;
  name: string;
}

export interface Microphones {
  microphones: MicrophoneRow[];
  error: string | null;
  listening: string | null;
  /** The source playing has a sound of its own (id `own`). */
  own_sound: boolean;
  own_current: boolean;
}

export interface AppInfo {
  name: string;
  version: string;
  source: string;
  notices: string[];
  video: SourceInfo | null;
  audio: AudioInfo | null;
  sound: string | null;
  model: string | null;
  compare: string | null;
  settings: Settings;
  /** Open in demo mode: `--demo`, or remembered. */
  demo: boolean;
  bench: BenchInfo | null;
  stream: StreamInfo | null;
}

export interface SourceStatus {
  frames: number;
  skipped: number;
  audio_dropped: number;
  ended: string | null;
  session_seconds: number;
  screen_latency_p50_ms: number | null;
}

/** augur_engine::Stats: rates and latency of the live session. */
export interface Stats {
  preview_fps: number | null;
  prediction_hz: number | null;
  latency_p50_ms: number | null;
  latency_p99_ms: number | null;
  step_ms: number | null;
  frames: number;
  predicted: number;
  model_skipped: number;
  source_dropped: number;
}

/** A point on the latent trajectory's first two principal components. */
export type Point = [number, number];

export interface ModelState {
  paused: boolean;
  horizon: number;
  context: number;
  model_context: number;
  stride: number;
  stats: Stats;
  surprise: (number | null)[];
  index: number | null;
  compare: string | null;
  compare_surprise: (number | null)[];
  trail: Point[];
  branch: Point[];
  /** For a model that fades: the share of its predicted change each step kept, t+1 first. */
  kept: number[] | null;
  /** Why the microphone is not heard now (it failed and is being opened again). */
  sound_lost: string | null;
}

/** augur_engine::RecordingStatus */
export interface RecordingStatus {
  active: boolean;
  dataset: string | null;
  episode: number | null;
  frames: number;
  seconds: number;
  free_bytes: number | null;
  write_rate: number;
  stopped: string | null;
}

export interface Stopped {
  episode: number | null;
  frames: number;
}

export interface Exported {
  dir: string;
  moments: number;
  /** The files written, by name. */
  files: string[];
  /** What could not be written and why (the rest was). */
  notes: string[];
}

export interface EpisodeRow {
  episode: number;
  frames: number;
  seconds: number;
  task: string;
  recovered: boolean;
}

export interface DatasetRow {
  name: string;
  episodes: EpisodeRow[];
  /** Episodes a crash left that opening the browser finished. */
  repaired: number;
  /** What is wrong with it: episodes that could not be finished, or why it cannot be read. */
  problems: string[];
}

/** augur_engine::EpisodeSurprise */
export interface EpisodeSurprise {
  first_frame: number;
  values: (number | null)[];
  truncated: boolean;
  model: string;
}

export interface ModelRow {
  name: string;
  current: boolean;
  parameters: number;
  steps: number;
  data: string[];
  fine_tuned_from: string | null;
  wall_time_s: number;
}

/** augur_engine::TrainingStatus */
export interface TrainingStatus {
  running: boolean;
  name: string;
  step: number;
  steps: number;
  /** `[step, total loss, prediction loss]` after every step. */
  losses: [number, number | null, number | null][];
  samples_per_s: number | null;
  eta_s: number | null;
  device: string;
  error: string | null;
  cancelled: boolean;
  model: string | null;
}

/** commands::bench::TransportTiming */
export interface TransportTiming {
  width: number;
  height: number;
  transport: "ipc" | "loopback";
  p50_ms: number;
  p99_ms: number;
  count: number;
}

/** commands::bench::PageReport (a command argument: Rust's field names). */
export interface PageReport {
  seconds: number;
  frames_drawn: number;
  predictions_drawn: number;
  transports: TransportTiming[];
}

/** Binary answers: a 16-byte header and pixels (empty when there is nothing new). */
type Bytes = ArrayBuffer;

/** Every command the page calls: its arguments (`undefined`: none) and its answer. */
export interface Commands {
  app_info: { args: undefined; result: AppInfo };
  latest_frame: { args: { fit: [number, number] | null }; result: Bytes };
  prediction: { args: { index: number | null; shown?: number }; result: Bytes };
  compare_prediction: { args: { index: number | null }; result: Bytes };
  arrived: { args: { index: number }; result: Bytes };
  what_if: { args: { at: number; horizon: number; context: number }; result: Bytes };
  steer: { args: { at: number | null; pc1: number; pc2: number }; result: Bytes };
  export_recent: { args: { seconds: number }; result: Exported };
  timeline_span: { args: undefined; result: [number, number] | null };
  source_status: { args: undefined; result: SourceStatus };
  model_state: { args: undefined; result: ModelState };
  set_paused: { args: { paused: boolean }; result: null };
  set_horizon: { args: { horizon: number }; result: null };
  set_demo: { args: { on: boolean; remember?: boolean }; result: null };
  set_context: { args: { context: number }; result: null };
  set_stride: { args: { stride: number }; result: null };
  about: { args: undefined; result: About };
  smoke_report: {
    args: { framesDrawn: number; distinctColours: number; predictionsDrawn: number | null };
    result: null;
  };
  set_source: { args: { preset: string }; result: null };
  cameras: { args: undefined; result: CameraRow[] };
  /** What plays now, or null when the dialog was cancelled. */
  open_video_file: { args: undefined; result: string | null };
  sound: { args: undefined; result: Bytes };
  microphones: { args: undefined; result: Microphones };
  set_microphone: { args: { id: string }; result: string | null };
  start_recording: { args: { name: string; task: string }; result: RecordingStatus };
  stop_recording: { args: { keep: boolean }; result: Stopped };
  recording_status: { args: undefined; result: RecordingStatus | null };
  list_datasets: { args: undefined; result: DatasetRow[] };
  play_episode: { args: { name: string; episode: number }; result: null };
  episode_thumbnail: { args: { name: string; episode: number }; result: Bytes };
  episode_surprise: { args: { name: string; episode: number }; result: EpisodeSurprise };
  list_models: { args: undefined; result: ModelRow[] };
  set_model: { args: { name: string }; result: string };
  set_compare: { args: { name: string | null }; result: string | null };
  start_training: { args: { dataset: string; name: string; steps: number; lr?: number }; result: TrainingStatus };
  training_status: { args: undefined; result: TrainingStatus | null };
  cancel_training: { args: undefined; result: null };
  frame_drawn: { args: { index: number }; result: null };
  bench_payload: { args: { width: number; height: number }; result: Bytes };
  bench_report: { args: { report: PageReport }; result: null };
  scope_frame: { args: { width: number; height: number }; result: Bytes };
  scope_input: { args: { events: ScopeEvent[] }; result: null };
}

/** commands::scope::ScopeEvent: pointer input on the Scope view, in CSS pixels. */
export type ScopeEvent =
  | { kind: "move" | "down" | "up"; x: number; y: number }
  | { kind: "wheel"; x: number; y: number; dy: number }
  | { kind: "leave" };

export type Command = keyof Commands;
export type ArgsOf<K extends Command> = Commands[K]["args"];
export type ResultOf<K extends Command> = Commands[K]["result"];

/** commands::models::About: what the About box shows. */
export interface About {
  name: string;
  version: string;
  license: string;
  model: string | null;
  home: string;
  notices: string[];
}
