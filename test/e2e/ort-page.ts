import type { Page } from 'playwright-core';
import { ortFiles } from './browser';

export interface PageRun {
  readonly outputs: Record<string, number[]>;
  /** onnxruntime's verbose lines about node placement ("All nodes placed on …" or per-node assignments). */
  readonly placement: string[];
}

// Kept as source text: the test runner would otherwise rewrite its dynamic import for Node.
const IN_PAGE = `async ({ bytes, feeds, ep, ortFiles }) => {
  const ort = await import(location.origin + ortFiles.bundle);
  ort.env.wasm.wasmPaths = { wasm: location.origin + ortFiles.wasm };
  ort.env.logLevel = 'verbose';
  const session = await ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: [ep], logSeverityLevel: 0, logVerbosityLevel: 0 });
  const tensors = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', Float32Array.from(v.data), v.dims)]));
  const result = await session.run(tensors);
  const out = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, Array.from(v.data)]));
  await session.release();
  return out;
}`;

/**
 * Runs a model on one execution provider inside the page, with the onnxruntime-web bundle the app
 * itself serves, and returns every output plus what onnxruntime logged about node placement.
 */
export async function runInPage(page: Page, model: Uint8Array, feeds: Record<string, { dims: number[]; data: number[] }>, ep: 'webgpu' | 'wasm'): Promise<PageRun> {
  const placement: string[] = [];
  const onConsole = (m: { text(): string }) => {
    const text = m.text();
    if (/placed on|Node name|Op type|assigned to/i.test(text)) placement.push(text);
  };
  page.on('console', onConsole);
  try {
    const args = JSON.stringify({ bytes: Array.from(model), feeds, ep, ortFiles: ortFiles() });
    const outputs = (await page.evaluate(`(${IN_PAGE})(${args})`)) as Record<string, number[]>;
    return { outputs, placement };
  } finally {
    page.off('console', onConsole);
  }
}
