import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeRuntime } from '../src/runtime/node';
import { serialize } from '../src/graph';
import { guidedModel, sessionSwap, subBatchOf } from '../src/pipeline/index';
import { hostTensor, type HostTensor, type Runtime, type Session } from '../src/runtime';
import { applyScaleMultiplier, coefficientsAt, createRng, createSchedule, ddimStep, modelTimestep, predXstartOf, splitModelOutput } from '../src/sampling/index';
import { clipGuidance, FULL_SIZE, unetForward, unetGuided } from './full-size-graphs';
import { openMatmulProbe, PROBE_TOLERANCE, probeSpread } from './matmul-probe';
import { withPeakRss } from './peak-rss';
import type { BenchContext, Benchmark, Figure } from './run';
import { ANCHOR_PROBE, onAnchor } from './anchor';
import { countFlops, GFLOPS } from './flops';

const SIZE = 256;
const SHAPE = [1, 3, SIZE, SIZE] as const;
/** Upstream clip-diffusion-art's step at these settings (torch 1.13 CPU, 2 threads, issue 23's anchor). */
const UPSTREAM_STEP_S = 87.6;
/** The targets as fractions of upstream's step (issue 23). */
const TARGET: Readonly<Record<'native' | 'wasm', number>> = { native: 0.6, wasm: 2 };
/** Steps run back to back; the figure is the last: sessions persist across a job's steps, so later steps are what a job pays per step. */
const STEPS = 3;

type Kind = 'unet' | 'unet_guided' | 'guidance';
type Models = Record<Kind, Uint8Array>;
const KINDS: readonly Kind[] = ['unet', 'unet_guided', 'guidance'];
export interface StepRun {
  readonly cutn: number;
  readonly batches: number;
  readonly sub: number;
  /** The GFLOP of one step's graph runs (stepGflop). */
  readonly gflop: number;
}

interface Timings {
  readonly ms: Record<Kind | 'sessions', number>;
}

/**
 * Sessions as the CLI holds them: all kept on native (no heap limit), one at a time on wasm (the
 * three graphs do not fit one 4 GiB wasm heap together), with run and creation times kept apart.
 */
function timedSessions(runtime: Runtime, models: Models, oneAtATime: boolean): Timings & { session(kind: Kind): Pick<Session, 'run'>; dispose(): Promise<void> } {
  const ms: Record<Kind | 'sessions', number> = { unet: 0, unet_guided: 0, guidance: 0, sessions: 0 };
  if (oneAtATime) {
    const swap = sessionSwap(runtime, { onCreate: (_key, t) => (ms.sessions += t), onRun: (key, t) => (ms[key as Kind] += t) });
    return { ms, session: (kind) => swap.session(kind, () => Promise.resolve(models[kind])), dispose: () => swap.dispose() };
  }
  const kept = new Map<Kind, Promise<Session>>();
  const open = (kind: Kind) => kept.get(kind) ?? kept.set(kind, (async () => {
    const t0 = performance.now();
    const session = await runtime.createSession(models[kind]);
    ms.sessions += performance.now() - t0;
    return session;
  })()).get(kind)!;
  return {
    ms,
    session: (kind) => ({
      run: async (feeds) => {
        const session = await open(kind);
        const t0 = performance.now();
        const out = await session.run(feeds);
        ms[kind] += performance.now() - t0;
        return out;
      },
    }),
    dispose: async () => void (await Promise.all([...kept.values()].map(async (s) => (await s).dispose()))),
  };
}

interface StepTimes {
  readonly totalMs: number;
  readonly ms: Record<Kind | 'sessions', number>;
}

/** STEPS guided DDIM steps from the first default step (index 44, t = 880) through the pipeline's guided model. */
async function steps(runtime: Runtime, models: Models, cutn: number, batches: number, sub: number, oneAtATime: boolean): Promise<StepTimes[]> {
  const sessions = timedSessions(runtime, models, oneAtATime);
  const schedule = createSchedule({ steps: 1000, respacing: 'ddim50' });
  const rng = createRng(7);
  let x: Float32Array = rng.fillNormal(new Float32Array(3 * SIZE * SIZE));
  const targets = { embeds: hostTensor('float32', [2, 512], rng.fillNormal(new Float32Array(1024))), weights: hostTensor('float32', [2], Float32Array.of(1.3333334, -0.33333334)) };
  const scales = applyScaleMultiplier({ clipGuidanceScale: 5000, tvScale: 100, rangeScale: 150, saturationScale: 0, initScale: 0 }, 50);
  const guide = { run: (feeds: Record<string, HostTensor>) => sessions.session('guidance').run(feeds), cutSize: 224, targets, rng, subBatch: sub, weight: 1 };
  const setup = { schedule, geometry: { height: SIZE, width: SIZE, cutn }, cutnBatches: batches, skipAugs: false, scales, guides: [guide], clampGrad: true };
  const { model, condFn } = guidedModel({ unet: sessions.session('unet'), unetGuided: sessions.session('unet_guided') }, setup, SHAPE);
  const times: StepTimes[] = [];
  try {
    for (let k = 0, index = 44; k < STEPS; k++, index--) {
      const before = { ...sessions.ms };
      const t = modelTimestep(schedule, index);
      const t0 = performance.now();
      const out = await model(x, t, { step: k, index });
      const c = coefficientsAt(schedule, index);
      const predXstart = predXstartOf(c, x, splitModelOutput(out, SHAPE).eps, false);
      const condGrad = await condFn(x, t, { step: k, index });
      x = ddimStep({ c, x, predXstart, eta: 0, noise: rng.fillNormal(new Float32Array(x.length)), condGrad });
      const ms = Object.fromEntries(Object.entries(sessions.ms).map(([key, v]) => [key, v - before[key as Kind]])) as StepTimes['ms'];
      times.push({ totalMs: performance.now() - t0, ms });
    }
    return times;
  } finally {
    await sessions.dispose();
  }
}

const s = (ms: number): Figure => ({ value: +(ms / 1000).toFixed(1), unit: 's' });

/**
 * The models' ONNX bytes and one step's GFLOP (Conv, ConvTranspose and MatMul of every graph run:
 * the UNet's forward, its forward and VJP, and cutn/sub × batches guidance runs).
 */
function modelsFor(cutn: number, batches: number, sub: number): { models: Models; gflop: number } {
  const weights = FULL_SIZE.unetWeights();
  const graphs = { unet: unetForward(FULL_SIZE, weights).graph, unet_guided: unetGuided(FULL_SIZE, weights).graph, guidance: clipGuidance(sub).graph };
  const flops = countFlops(graphs.unet) + countFlops(graphs.unet_guided) + (cutn / sub) * batches * countFlops(graphs.guidance);
  return { models: { unet: serialize(graphs.unet), unet_guided: serialize(graphs.unet_guided), guidance: serialize(graphs.guidance) }, gflop: flops / 1e9 };
}

/**
 * What the probe says about a step: the step on the anchor machine (held against the target), and
 * the fastest it could run here, its GFLOP at the probe's rate (the forwards already run at 0.9–1.1
 * of it, bench unet and clip), so a target below the floor needs less work, not faster kernels.
 */
function probeFigures(backend: 'native' | 'wasm', run: StepRun, probeGflops: number, step: Figure): Record<string, Figure> {
  const floor = run.gflop / probeGflops;
  const anchored = onAnchor(backend, step.value, probeGflops);
  const target = TARGET[backend] * UPSTREAM_STEP_S;
  return {
    [`${backend}_step_on_anchor_s`]: { value: +anchored.toFixed(1), unit: `s (× ${probeGflops}/${ANCHOR_PROBE[backend]} GFLOP/s)`, target: `<= ${+target.toFixed(1)}`, pass: anchored <= target },
    [`${backend}_step_of_upstream`]: { value: +(anchored / UPSTREAM_STEP_S).toFixed(2), unit: `× upstream's ${UPSTREAM_STEP_S} s` },
    [`${backend}_step_floor_s`]: { value: +floor.toFixed(1), unit: `s (${run.gflop.toFixed(0)} GFLOP at the probe's ${probeGflops} GFLOP/s)` },
    [`${backend}_step_of_floor`]: { value: +(step.value / floor).toFixed(2), unit: '× the floor' },
  };
}

/** One backend's figures: the last step (sessions warm), its parts, the first step, session creation and peak RSS. */
async function backendFigures(prefix: string, runtime: Runtime, models: Models, run: StepRun): Promise<Record<string, Figure>> {
  const { result, peakMiB } = await withPeakRss(() => steps(runtime, models, run.cutn, run.batches, run.sub, prefix === 'wasm'));
  const [first, last] = [result[0]!, result.at(-1)!];
  const step = last.totalMs - last.ms.sessions;
  return {
    [`${prefix}_step_s`]: s(step),
    [`${prefix}_unet_forward_and_vjp_s`]: s(last.ms.unet + last.ms.unet_guided),
    [`${prefix}_clip_gradient_s`]: s(last.ms.guidance),
    [`${prefix}_first_step_s`]: s(first.totalMs - first.ms.sessions),
    [`${prefix}_session_creation_s`]: s(result.reduce((n, r) => n + r.ms.sessions, 0)),
    [`${prefix}_peak_rss`]: { value: peakMiB, unit: 'MiB' },
  };
}

/** The wasm figures between two wasm MatMul probes of their own (run.ts's probes are the native backend's). */
export async function wasmFigures(threads: number, models: Models, run: StepRun): Promise<Record<string, Figure>> {
  const runtime = () => nodeRuntime({ backend: 'wasm', threads });
  const probe = await openMatmulProbe(runtime());
  const before = await probe.measure();
  const figures = await backendFigures('wasm', runtime(), models, run);
  const after = await probe.measure();
  await probe.dispose();
  if (probeSpread(before, after) > PROBE_TOLERANCE) throw new Error(`the machine was busy: the wasm MatMul probe gave ${before} GFLOP/s before and ${after} after`);
  return { wasm_matmul_gflops_before: { value: before, unit: GFLOPS }, ...figures, ...probeFigures('wasm', run, before, figures.wasm_step_s!), wasm_matmul_gflops_after: { value: after, unit: GFLOPS } };
}

/** The ONNX files a wasm process reads back (step-wasm-process.ts). */
export const readModels = (dir: string): Models => Object.fromEntries(KINDS.map((k) => [k, new Uint8Array(readFileSync(join(dir, `${k}.onnx`)))])) as Models;

/**
 * The wasm figures from a process of their own: onnxruntime-web's wasm threads stay alive for the
 * process' life, and a native run after them took 2× as long (the UNet's forward and VJP 11.9 s
 * against 5.9 s alone), as the wasm probe did after native sessions (24.6 against 50.9 GFLOP/s).
 */
function wasmFiguresApart(threads: number, models: Models, run: StepRun): Record<string, Figure> {
  const dir = mkdtempSync(join(tmpdir(), 'sample-step-'));
  try {
    for (const k of KINDS) writeFileSync(join(dir, `${k}.onnx`), models[k]);
    const entry = join(dirname(fileURLToPath(import.meta.url)), 'step-wasm-process.ts');
    const child = spawnSync(process.execPath, ['--import', 'tsx', entry, dir, String(threads), JSON.stringify(run)], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (child.status !== 0) throw new Error(`the wasm process failed (exit ${child.status ?? child.signal})`);
    return JSON.parse(readFileSync(join(dir, 'figures.json'), 'utf8')) as Record<string, Figure>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const bench: Benchmark = {
  description: 'one guided sampling step at the seed defaults (256², art UNet and ViT-B/16 with seeded weights, cutn 30 × 4 augmented cutouts in sub-batches of 10) on native onnxruntime and on the wasm EP, in Node',
  async run(args, context: BenchContext) {
    const numbers = args.filter((a) => !a.startsWith('--'));
    const [cutn, batches, limit] = [Number(numbers[0] ?? 30), Number(numbers[1] ?? 4), Number(numbers[2] ?? 10)];
    const sub = subBatchOf(cutn, limit);
    const { models, gflop } = modelsFor(cutn, batches, sub);
    const run = { cutn, batches, sub, gflop };
    const native = await backendFigures('native', nodeRuntime({ backend: 'native', threads: context.threads }), models, run);
    const figures = {
      gflop_per_step: { value: +gflop.toFixed(0), unit: 'GFLOP' }, ...native, ...probeFigures('native', run, context.matmulGflops, native.native_step_s!),
      ...(args.includes('--native-only') ? {} : wasmFiguresApart(context.threads, models, run)),
    };
    const notes = [
      `cutn ${cutn} × cutn_batches ${batches}, ${cutn / sub} sub-batches of ${sub} cutouts per cutn batch; ${STEPS} steps back to back, the figures are the last step's (the first step's is given apart: the first runs of a session touch fresh memory)`,
      'native keeps the three sessions (no heap limit); wasm holds one at a time, as the CLI and the studio do for full-size models (its session creation is timed apart)',
      'wasm runs in a process of its own, after native (onnxruntime-web\'s wasm threads live as long as their process and halved a native run after them)',
      `targets: native ≤ ${TARGET.native} × and wasm ≤ ${TARGET.wasm} × upstream's ${UPSTREAM_STEP_S} s (torch 1.13 CPU, 2 threads, measured for issue 23 on a machine whose MatMul probe gave ${ANCHOR_PROBE.native} GFLOP/s native and ${ANCHOR_PROBE.wasm} on wasm): held against the step scaled to that machine by the probes (*_step_on_anchor_s)`,
      'the floor: the step\'s GFLOP (Conv, ConvTranspose, MatMul of every graph run) at the backend\'s MatMul probe rate, measured just before; the forwards already run at 0.9–1.1 of that rate, so a step cannot get much under its floor without doing less work',
    ];
    return { figures, notes };
  },
};

export default bench;
