import type { Page } from 'playwright-core';
import type { HostTensor } from '../../src/runtime';
import { ortFiles } from '../../test/e2e/browser';

/** What the page says of its WebGPU adapter. */
export interface AdapterReport {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** A software (CPU) adapter such as SwiftShader. */
  readonly fallback: boolean;
  readonly features: string[];
  readonly limits: Record<string, number>;
}

/** One model's times in the page, milliseconds. */
export interface ModelTimes {
  readonly createMs: number;
  readonly firstRunMs: number;
  /** The other runs, in order (sessions warm). */
  readonly runsMs: number[];
}

/** A feed as JSON: the page rebuilds the typed array from its bytes. */
export interface EncodedFeed {
  readonly dtype: string;
  readonly dims: number[];
  readonly base64: string;
}

export const encodeFeeds = (feeds: Record<string, HostTensor>): Record<string, EncodedFeed> =>
  Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, { dtype: t.dtype, dims: [...t.shape], base64: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64') }]));

// Kept as source text: a bundler would otherwise rewrite its dynamic import for Node.
const ADAPTER = `async () => {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return null;
  const info = adapter.info ?? {};
  const limits = {};
  for (const key of ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxStorageBuffersPerShaderStage']) limits[key] = adapter.limits[key];
  return {
    vendor: info.vendor ?? '', architecture: info.architecture ?? '', device: info.device ?? '', description: info.description ?? '',
    fallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter), features: [...adapter.features].sort(), limits,
  };
}`;

const RUN = `async ({ base, name, repeats, ortFiles }) => {
  const ort = await import(location.origin + ortFiles.bundle);
  ort.env.wasm.wasmPaths = { wasm: location.origin + ortFiles.wasm };
  const ARRAYS = { float32: Float32Array, int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array, bool: Uint8Array, int8: Int8Array, float16: Uint16Array };
  const bytes = new Uint8Array(await (await fetch(base + '/' + name + '.onnx')).arrayBuffer());
  const encoded = await (await fetch(base + '/' + name + '.feeds.json')).json();
  const feeds = {};
  for (const [key, f] of Object.entries(encoded)) {
    const raw = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
    const Array_ = ARRAYS[f.dtype];
    feeds[key] = new ort.Tensor(f.dtype, new Array_(raw.buffer, 0, raw.byteLength / Array_.BYTES_PER_ELEMENT), f.dims);
  }
  let t = performance.now();
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'] });
  const createMs = performance.now() - t;
  const times = [];
  try {
    for (let i = 0; i <= repeats; i++) {
      t = performance.now();
      await session.run(feeds);
      times.push(performance.now() - t);
    }
  } finally {
    await session.release();
  }
  return { createMs, firstRunMs: times[0], runsMs: times.slice(1) };
}`;

export const adapterOf = (page: Page): Promise<AdapterReport | null> => page.evaluate(`(${ADAPTER})()`) as Promise<AdapterReport | null>;

/**
 * Creates a WebGPU session for `<base>/<name>.onnx` in the page with the app's onnxruntime-web
 * bundle, runs it on `<name>.feeds.json` once and then `repeats` times (outputs read back to the
 * CPU, so each run includes its GPU work), and releases it.
 */
export const timeInPage = (page: Page, base: string, name: string, repeats: number): Promise<ModelTimes> =>
  page.evaluate(`(${RUN})(${JSON.stringify({ base, name, repeats, ortFiles: ortFiles() })})`) as Promise<ModelTimes>;
