import type { AdapterInfo } from '../src/runtime';

export interface AdapterSearch {
  readonly adapter?: AdapterInfo;
  readonly reason?: string;
}

/** Asks the browser for a WebGPU adapter; without one, the engine falls back to wasm and says why. */
export async function findWebGpuAdapter(gpu: GPU | undefined): Promise<AdapterSearch> {
  if (!gpu) return { reason: 'this browser has no WebGPU' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { reason: 'no WebGPU adapter is available' };
    const { vendor, architecture, description } = adapter.info;
    // `isFallbackAdapter` moved from the adapter to its info object; older browsers have only the first.
    const isFallbackAdapter = Boolean((adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter);
    return { adapter: { vendor, architecture, description, isFallbackAdapter } };
  } catch (err) {
    return { reason: `WebGPU adapter request failed: ${(err as Error).message}` };
  }
}
