import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The workplace's launch flags: no sandbox (root), no GPU process work, no calls home. */
const BASE_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Studio {
  readonly page: Page;
  readonly errors: string[];
  close(): Promise<void>;
}

/** Serves the built app (dist/) on 127.0.0.1 with the same headers `npm start` sends. */
export async function serveApp(): Promise<{ url: string; server: PreviewServer }> {
  const root = resolve(import.meta.dirname, '../..');
  if (!existsSync(join(root, 'dist/index.html'))) throw new Error('dist/ is missing: run `npm run build` before the browser tests');
  const server = await preview({ root, logLevel: 'silent', preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the preview server did not report its address');
  return { url, server };
}

/** The built app's onnxruntime-web files, whose names carry a digest (vite.config.ts): their paths on the served origin. */
export function ortFiles(): { bundle: string; wasm: string } {
  const files = readdirSync(resolve(import.meta.dirname, '../../dist/ort'));
  const find = (start: string) => {
    const file = files.find((f) => f.startsWith(start));
    if (!file) throw new Error(`dist/ort has no ${start}* file: run \`npm run build\``);
    return `/ort/${file}`;
  };
  return { bundle: find('ort.webgpu.bundle.min-'), wasm: find('ort-wasm-simd-threaded.asyncify-') };
}

/**
 * What a real GPU needs on Linux: the GPU process on (no --disable-gpu), Dawn on Vulkan, and the
 * blocklist ignored (headless Chromium blocks most drivers); WebGPU itself behind its flag.
 */
const HARDWARE_GPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=vulkan', '--ignore-gpu-blocklist'];

/**
 * Debian's Chromium, headless, with a fresh profile. `webgpu: true` adds the one flag that exposes
 * SwiftShader's software adapter (see ../shared/research/webgpu-probe.md); without it there is none.
 * `'hardware'` asks for the machine's GPU instead (the GPU bench on a machine that has one).
 */
export async function openStudio(url: string, options: { webgpu: boolean | 'hardware' }): Promise<Studio> {
  const profile = mkdtempSync(join(tmpdir(), 'studio-e2e-'));
  const args = options.webgpu === 'hardware'
    ? [...BASE_FLAGS.filter((f) => f !== '--disable-gpu'), ...HARDWARE_GPU_FLAGS]
    : [...BASE_FLAGS, ...(options.webgpu ? ['--enable-unsafe-webgpu'] : [])];
  const context: BrowserContext = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args, acceptDownloads: true });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  await page.goto(url);
  return {
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
