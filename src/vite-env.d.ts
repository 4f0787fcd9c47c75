/// <reference types="vite/client" />
/// <reference types="vite-plugin-pwa/client" />

/** The commit the app was built from (vite.config.ts), in the page and in the engine worker alike. */
declare const __BUILD_ID__: string;

/** onnxruntime-web's files as the app serves them, their names versioned by content (vite.config.ts). */
declare module 'virtual:ort-files' {
  export const ORT_BUNDLE: string;
  export const ORT_WASM: string;
}
