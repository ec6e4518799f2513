// The part of Tauri's JavaScript API the page uses: `withGlobalTauri` (src-tauri/tauri.conf.json)
// puts it on `window.__TAURI__`, so no npm package is needed. Typed per command in commands.ts.

/** Arguments of a command: Rust's parameter names in camelCase (`framesDrawn`). */
type InvokeArgs = Record<string, unknown>;

interface TauriCore {
  /** Calls a Rust command; resolves to its JSON answer, or an `ArrayBuffer` for binary ones. */
  invoke<T>(command: string, args?: InvokeArgs): Promise<T>;
}

interface TauriEvent {
  /** Calls `handler` with each event `name` the app emits; resolves to a function that stops. */
  listen<T>(name: string, handler: (event: { payload: T }) => void): Promise<() => void>;
}

interface Window {
  readonly __TAURI__: { readonly core: TauriCore; readonly event: TauriEvent };
}
