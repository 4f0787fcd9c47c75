/**
 * Each backend's MatMul probe on the machine upstream's PyTorch times were measured on (issue 23's
 * table): a time here is scaled by probe here / probe there before it is held against upstream's, so
 * a faster or slower machine than that one neither meets nor misses a target by itself.
 */
export const ANCHOR_PROBE: Readonly<Record<'native' | 'wasm', number>> = { native: 200, wasm: 46 };

/** Seconds measured here at `probeGflops`, as the anchor machine would take them. */
export const onAnchor = (backend: 'native' | 'wasm', seconds: number, probeGflops: number): number => (seconds * probeGflops) / ANCHOR_PROBE[backend];
