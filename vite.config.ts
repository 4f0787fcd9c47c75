import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { defineConfig } from 'vitest/config';

/**
 * onnxruntime-web is served as its own files (never bundled, never from a CDN): its bundle spawns
 * wasm pthreads with `new Worker(import.meta.url)`, which only works when that URL is ORT itself.
 * Their names carry a digest of their bytes, as Vite's own assets do, so a browser or the service
 * worker never pairs one build's page with another onnxruntime.
 */
const ORT_FILES = { bundle: 'ort.webgpu.bundle.min.mjs', wasm: 'ort-wasm-simd-threaded.asyncify.wasm' } as const;
const ortDist = (file: string) => fileURLToPath(new URL(`node_modules/onnxruntime-web/dist/${file}`, import.meta.url));

/** A file of onnxruntime-web's dist with its versioned name, read and hashed once, when a build or the dev server first needs it. */
function versioned(file: string) {
  const source = readFileSync(ortDist(file));
  const digest = createHash('sha256').update(source).digest('hex').slice(0, 10);
  const dot = file.lastIndexOf('.');
  return { file, name: `ort/${file.slice(0, dot)}-${digest}${file.slice(dot)}`, source };
}

const ORT_MODULE = 'virtual:ort-files';
let servedFiles: ReturnType<typeof versioned>[] | undefined;
// Not at config load: vitest loads this file for every run and never serves these files.
const served = () => (servedFiles ??= Object.values(ORT_FILES).map(versioned));
const nameOf = (file: string) => served().find((s) => s.file === file)!.name;

/** `virtual:ort-files`: the versioned names, for the engine worker (a worker bundle has its own plugins). */
const ortNames = (): Plugin => ({
  name: 'onnxruntime-web-names',
  resolveId: (id) => (id === ORT_MODULE ? `\0${ORT_MODULE}` : undefined),
  load: (id) => (id === `\0${ORT_MODULE}` ? `export const ORT_BUNDLE = ${JSON.stringify(nameOf(ORT_FILES.bundle))};\nexport const ORT_WASM = ${JSON.stringify(nameOf(ORT_FILES.wasm))};\n` : undefined),
});

function serveOrt(): Plugin {
  return {
    name: 'serve-onnxruntime-web',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const hit = served().find((s) => req.url === `/${s.name}`);
        if (!hit) return next();
        res.setHeader('Content-Type', hit.file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.end(hit.source);
      });
    },
    generateBundle() {
      for (const { name, source } of served()) this.emitFile({ type: 'asset', fileName: name, source });
    },
  };
}

/** Shown in the page and reported by the engine worker: the commit, or BUILD_ID when set (the update test builds twice). */
function buildId(): string {
  if (process.env.BUILD_ID) return process.env.BUILD_ID;
  try {
    return execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unversioned';
  }
}

/**
 * The service worker (Workbox through vite-plugin-pwa: precaching, revisioning and clean updates
 * are its job, not ours) precaches the app shell and onnxruntime so a reload works offline. It
 * waits for the user ("new version: reload") instead of taking over an open page. Models are not
 * its business: they live in IndexedDB, and it routes nothing but its precached files and
 * navigations, so model downloads (Range requests) go to the network untouched. The web manifest is
 * public/manifest.webmanifest, a plain file.
 */
const pwa = VitePWA({
  registerType: 'prompt',
  injectRegister: false,
  manifest: false,
  workbox: {
    globPatterns: ['**/*.{html,js,mjs,css,wasm,svg,png,ico,webmanifest}'],
    // onnxruntime's wasm is about 26 MB.
    maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
    // Hashed names are their own revision (Vite's assets/, our ort/).
    dontCacheBustURLsMatching: /-[\w-]{8,}\.\w+$/,
    navigateFallback: 'index.html',
    cleanupOutdatedCaches: true,
  },
});

// Cross-origin isolation gives the wasm EP its threads (SharedArrayBuffer).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  // In dev the worker's modules go through these plugins; in a build, through worker.plugins.
  plugins: [ortNames(), serveOrt(), pwa],
  define: { __BUILD_ID__: JSON.stringify(buildId()) },
  worker: { format: 'es', plugins: () => [ortNames()] },
  server: { headers: isolation },
  preview: { headers: isolation, host: '127.0.0.1' },
  build: { target: 'es2022', chunkSizeWarningLimit: 1024 },
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**'], testTimeout: 60_000 } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 120_000, fileParallelism: false } },
    ],
  },
});
