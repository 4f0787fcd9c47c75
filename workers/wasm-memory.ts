/**
 * A probe of onnxruntime's wasm heap. Its Memory never shrinks (WebAssembly can only grow one), so
 * its size after a run of jobs shows whether tensors or sessions leak into it; the e2e memory test
 * reads it. CDP's Runtime.queryObjects would find the Memory without this, but it crashes
 * Chromium 156's renderer once ORT's pthread workers share the Memory (tried in generate.test.ts).
 *
 * ORT's threaded build creates its Memory in JS (`new WebAssembly.Memory({ shared: true, … })`)
 * so it can lend it to its pthread workers; the constructor is wrapped before ORT is imported to
 * hold each Memory weakly. `self.wasmHeapBytes()` lists their sizes (for tests and the console).
 */
const memories: WeakRef<WebAssembly.Memory>[] = [];

export const wasmHeapBytes = (): number[] =>
  memories.map((m) => m.deref()?.buffer.byteLength).filter((n): n is number => n !== undefined);

export function watchWasmMemories(): void {
  const scope = self as { wasmHeapBytes?: () => number[] };
  if (scope.wasmHeapBytes) return;
  WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
    construct(target, args: [WebAssembly.MemoryDescriptor]) {
      const memory = Reflect.construct(target, args) as WebAssembly.Memory;
      memories.push(new WeakRef(memory));
      return memory;
    },
  });
  scope.wasmHeapBytes = wasmHeapBytes;
}
