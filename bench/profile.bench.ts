import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendLoader } from '../src/runtime/node';
import { serialize } from '../src/graph';
import type { HostTensor } from '../src/runtime';
import { clipGuidance, FULL_SIZE, rn50, swinir, unetForward, unetGuided, unetTraining, type BenchGraph } from './full-size-graphs';
import { GFLOPS } from './flops';
import type { BenchContext, Benchmark, Figure } from './run';

/**
 * `npm run bench -- profile [unet unet_guided clip_guidance clip_guidance_rn50 swinir]`: where each model's time goes,
 * by ONNX op type, from onnxruntime's profiler on the native CPU EP, for warm runs (WARM_UPS runs
 * first: a session's first runs touch fresh memory). onnxruntime-web 1.30's wasm build has no file
 * system, so its profiler's output is lost: on wasm only the whole run is timed.
 */
const MODELS: Readonly<Record<string, () => BenchGraph>> = {
  unet: () => unetForward(), unet_guided: () => unetGuided(), clip_guidance: () => clipGuidance(10), swinir: () => swinir(),
  clip_guidance_rn50: () => clipGuidance(10, { ...FULL_SIZE, clip: rn50 }), unet_train: () => unetTraining(),
};
const WARM_UPS = 2;
const RUNS = 2;

interface ProfileEvent {
  readonly cat: string;
  readonly name: string;
  readonly ts: number;
  readonly dur: number;
  readonly args?: { readonly op_name?: string; readonly input_type_shape?: readonly Record<string, number[]>[]; readonly output_type_shape?: readonly Record<string, number[]>[] };
}

const dims = (shapes: readonly Record<string, number[]>[] | undefined, k: number): number[] => Object.values(shapes?.[k] ?? {})[0] ?? [];
const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** FLOPs of one kernel call where the op's work is a product (Conv, ConvTranspose, the MatMul family); 0 otherwise. */
function kernelFlops(e: ProfileEvent): number {
  const [a, b, out] = [dims(e.args?.input_type_shape, 0), dims(e.args?.input_type_shape, 1), dims(e.args?.output_type_shape, 0)];
  switch (e.args?.op_name) {
    case 'Conv': case 'FusedConv': case 'NchwcConv': return 2 * numel(out) * numel(b.slice(1));
    case 'ConvTranspose': return 2 * numel(a) * numel(b.slice(1));
    case 'MatMul': case 'Gemm': case 'FusedMatMul': {
      // The contracted axis is A's axis that is not the output's row count.
      const m = out[out.length - 2] ?? 1;
      const k = a[a.length - 2] === m && a.length >= 2 ? a[a.length - 1]! : a[a.length - 2]!;
      return 2 * numel(out) * k;
    }
    default: return 0;
  }
}

interface OpRow {
  ms: number;
  count: number;
  flops: number;
}

/** Per op type over the profiled (warm) runs: ms per run, kernel calls per run, FLOPs per run. */
function opTable(events: readonly ProfileEvent[], runs: number): Map<string, OpRow> {
  const runsAt = events.filter((e) => e.cat === 'Session' && e.name.includes('Execute')).map((e) => e.ts).sort((x, y) => x - y);
  const from = runsAt[runsAt.length - runs] ?? 0;
  const table = new Map<string, OpRow>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < from) continue;
    const row = table.get(e.args?.op_name ?? '?') ?? { ms: 0, count: 0, flops: 0 };
    row.ms += e.dur / 1000 / runs;
    row.count += 1 / runs;
    row.flops += kernelFlops(e) / runs;
    table.set(e.args?.op_name ?? '?', row);
  }
  return table;
}

async function nativeProfile(model: Uint8Array, feeds: Record<string, HostTensor>, threads: number): Promise<{ table: Map<string, OpRow>; runMs: number }> {
  const { ort } = backendLoader()('native');
  const dir = mkdtempSync(join(tmpdir(), 'ort-profile-'));
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: threads, graphOptimizationLevel: 'all', enableMemPattern: false, enableProfiling: true, profileFilePrefix: join(dir, 'p') });
  try {
    const ortFeeds = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor(v.dtype, v.data, v.shape)]));
    const times: number[] = [];
    for (let i = 0; i < WARM_UPS + RUNS; i++) {
      const t0 = performance.now();
      await session.run(ortFeeds);
      if (i >= WARM_UPS) times.push(performance.now() - t0);
    }
    session.endProfiling();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'))!;
    return { table: opTable(JSON.parse(readFileSync(join(dir, file), 'utf8')) as ProfileEvent[], RUNS), runMs: times.reduce((a, b) => a + b, 0) / RUNS };
  } finally {
    await session.release();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function wasmRunMs(context: BenchContext, model: Uint8Array, feeds: Record<string, HostTensor>): Promise<number> {
  const session = await context.runtime().createSession(model);
  try {
    let total = 0;
    for (let i = 0; i < WARM_UPS + RUNS; i++) {
      const t0 = performance.now();
      await session.run(feeds);
      if (i >= WARM_UPS) total += performance.now() - t0;
    }
    return total / RUNS;
  } finally {
    await session.dispose();
  }
}

function printTable(name: string, table: Map<string, OpRow>, runMs: number): void {
  const total = [...table.values()].reduce((n, r) => n + r.ms, 0);
  console.log(`\n${name}: ${runMs.toFixed(0)} ms a run (kernels ${total.toFixed(0)} ms)\n  ${'op'.padEnd(22)} ${'ms'.padStart(8)} ${'share'.padStart(7)} ${'count'.padStart(6)} ${'GFLOP/s'.padStart(8)}`);
  for (const [op, r] of [...table].sort((x, y) => y[1].ms - x[1].ms)) {
    const rate = r.flops > 0 ? (r.flops / 1e6 / r.ms).toFixed(1) : '';
    console.log(`  ${op.padEnd(22)} ${r.ms.toFixed(1).padStart(8)} ${`${((100 * r.ms) / total).toFixed(1)}%`.padStart(7)} ${String(Math.round(r.count)).padStart(6)} ${rate.padStart(8)}`);
  }
}

/** The table as figures: every op type's ms, share and count; GFLOP/s where the op's work is a product. */
function figuresOf(name: string, table: Map<string, OpRow>, runMs: number): Record<string, Figure> {
  const total = [...table.values()].reduce((n, r) => n + r.ms, 0);
  const figures: Record<string, Figure> = { [`${name}.run_ms`]: { value: Math.round(runMs), unit: 'ms' } };
  for (const [op, r] of [...table].sort((x, y) => y[1].ms - x[1].ms)) {
    figures[`${name}.${op}.ms`] = { value: +r.ms.toFixed(1), unit: 'ms a run' };
    figures[`${name}.${op}.share`] = { value: +((100 * r.ms) / total).toFixed(1), unit: '% of kernel time' };
    figures[`${name}.${op}.count`] = { value: Math.round(r.count), unit: 'kernel calls a run' };
    if (r.flops > 0) figures[`${name}.${op}.rate`] = { value: +(r.flops / 1e6 / r.ms).toFixed(1), unit: GFLOPS };
  }
  return figures;
}

const bench: Benchmark = {
  description: 'where each full-size model\'s time goes, by op type (onnxruntime profiler, native CPU EP; whole runs on wasm): UNet forward, UNet guidance graph, ViT-B/16 guidance gradient (10 cutouts), SwinIR-M 264²',
  async run(args, context) {
    const names = args.length > 0 ? args : Object.keys(MODELS);
    const unknown = names.filter((n) => !MODELS[n]);
    if (unknown.length > 0) throw new Error(`profile: unknown model ${unknown.join(', ')} (one of ${Object.keys(MODELS).join(', ')})`);
    let figures: Record<string, Figure> = {};
    for (const name of names) {
      const { graph, feeds } = MODELS[name]!();
      const model = serialize(graph);
      if (context.backend === 'native') {
        const { table, runMs } = await nativeProfile(model, feeds, context.threads);
        printTable(name, table, runMs);
        figures = { ...figures, ...figuresOf(name, table, runMs) };
      } else {
        figures[`${name}.run_ms`] = { value: Math.round(await wasmRunMs(context, model, feeds)), unit: 'ms' };
      }
    }
    const notes = [
      `${WARM_UPS} warm-up runs, then ${RUNS} profiled runs (figures per run); GFLOP/s counts Conv, ConvTranspose and the MatMul family only`,
      ...(context.backend === 'native' ? [] : ['wasm: onnxruntime-web 1.30 writes its profile into a file system its wasm build does not have, so only whole runs are timed']),
    ];
    return { figures, notes };
  },
};

export default bench;
