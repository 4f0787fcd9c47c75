import { createReadStream, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * onnxruntime-web is served as its own files (never bundled, never from a CDN): its bundle spawns
 * wasm pthreads with `new Worker(import.meta.url)`, which only works when that URL is ORT itself.
 */
const ORT_FILES = ['ort.webgpu.bundle.min.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];
const ortDist = (file: string) => fileURLToPath(new URL(`node_modules/onnxruntime-web/dist/${file}`, import.meta.url));

function serveOrt(): Plugin {
  return {
    name: 'serve-onnxruntime-web',
    configureServer(server) {
      server.middlewares.use('/ort/', (req, res, next) => {
        const file = ORT_FILES.find((f) => req.url === `/${f}`);
        if (!file) return next();
        res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        createReadStream(ortDist(file)).pipe(res);
      });
    },
    generateBundle() {
      for (const file of ORT_FILES) this.emitFile({ type: 'asset', fileName: `ort/${file}`, source: readFileSync(ortDist(file)) });
    },
  };
}

// Cross-origin isolation gives the wasm EP its threads (SharedArrayBuffer).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  plugins: [serveOrt()],
  worker: { format: 'es' },
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
