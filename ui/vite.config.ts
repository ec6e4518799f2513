// Bundles the page for the Tauri window: ui/index.html and src/ → ui/dist, which
// src-tauri/tauri.conf.json names as `frontendDist` and the app embeds when it is compiled.
// The window's CSP allows only files from the app (`script-src 'self'; style-src 'self'`), so
// nothing may be inlined: scripts and styles are emitted as files, with no preload polyfill.
import { defineConfig } from "vite";

// ui/, wherever vite is started from. Vite sets `import.meta.dirname` when it loads this file
// (also on Node 18, which lacks it); TypeScript's DOM types do not declare it.
const root = (import.meta as ImportMeta & { dirname: string }).dirname;

export default defineConfig({
  root,
  base: "./",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    assetsInlineLimit: 0,
  },
});
