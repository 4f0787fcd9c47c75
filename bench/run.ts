import { readdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseBackendArgs } from '../src/cli/backend-args';
import { backendChoiceOf, nodeRuntime, type BackendChoice, type BackendOptions } from '../src/runtime/node';
import type { Runtime } from '../src/runtime';
import { GFLOPS } from './flops';
import { openMatmulProbe, PROBE_TOLERANCE, probeSpread } from './matmul-probe';

/**
 * `npm run bench -- NAME [--backend native|wasm] [--threads N] [bench args]`: runs bench/NAME.bench.ts
 * between two MatMul probes (bench/matmul-probe.ts) on the bench's backend, prints its figures and
 * writes bench/results/NAME.json (NAME-wasm.json on wasm, NAME-<variant>.json when the bench names one) with the machine, backend and threads it ran on, unless the probes
 * differ by more than 15 % (the machine was busy: nothing is written, exit code 3). A bench module
 * default-exports a `Benchmark`.
 */
export interface Figure {
  readonly value: number;
  readonly unit: string;
  /** e.g. '>= 500'; with `pass` when the bench states a target. */
  readonly target?: string;
  readonly pass?: boolean;
}

/** What a bench runs on: native onnxruntime-node by default, or onnxruntime-web's wasm (`--backend`). */
export interface BenchContext {
  /** A fresh runtime on the bench's backend (cheap; onnxruntime-web's wasm threads are process-wide anyway). */
  runtime(): Runtime;
  /** The backend runtimes actually run on (wasm after a failed native load). */
  readonly backend: BackendChoice;
  readonly threads: number;
  /** The MatMul probe's rate just before the bench (GFLOP/s, the bench's backend). */
  readonly matmulGflops: number;
}

export interface Benchmark {
  readonly description: string;
  /** Set when the bench's own figures come from a fixed backend whatever --backend says; the probes use it. */
  readonly backend?: BackendOptions;
  /**
   * Figures in GFLOP/s (bench/flops.ts gflopsFigure) are also reported as a fraction of the probes'
   * mean rate. `threads` when the figures ran on other threads than the context's.
   */
  run(args: readonly string[], context: BenchContext): Promise<BenchResult>;
}

export interface BenchResult {
  readonly figures: Record<string, Figure>;
  readonly threads?: number;
  readonly notes?: string[];
  /** Written as NAME-<variant>.json (the GPU bench on a software adapter). */
  readonly variant?: string;
  /** Why the bench could not run here (no hardware GPU): said, nothing written, exit 0. */
  readonly skipped?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const names = (): string[] => readdirSync(here).filter((f) => f.endsWith('.bench.ts')).map((f) => f.slice(0, -'.bench.ts'.length));

function machine() {
  const cpu = cpus();
  // The 1-minute load average when the bench started: above the core count, other work shared the CPU.
  const load = +loadavg()[0]!.toFixed(2);
  return { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), platform: platform(), arch: arch(), loadAverageAtStart: load };
}

function printTable(name: string, figures: Record<string, Figure>): void {
  console.log(`\n${name}`);
  const width = Math.max(32, ...Object.keys(figures).map((key) => key.length));
  for (const [key, f] of Object.entries(figures)) {
    const target = f.target ? `  target ${f.target} ${f.pass ? 'PASS' : 'FAIL'}` : '';
    console.log(`  ${key.padEnd(width)} ${String(f.value).padStart(12)} ${f.unit}${target}`);
  }
}

/** Every GFLOP/s figure again as a fraction of the probes' mean rate. */
function fractionsOfProbe(figures: Record<string, Figure>, probe: number): Record<string, Figure> {
  const rates = Object.entries(figures).filter(([, f]) => f.unit === GFLOPS);
  return Object.fromEntries(rates.map(([key, f]) => [`${key}_of_matmul`, { value: +(f.value / probe).toFixed(3), unit: 'fraction of the MatMul probe' }]));
}

function contextFor(options: BackendOptions): Omit<BenchContext, 'matmulGflops'> {
  const runtime = () => nodeRuntime(options);
  return { runtime, backend: backendChoiceOf(runtime().backend), threads: options.threads };
}

async function main(): Promise<number> {
  const { options, rest: [name, ...args] } = parseBackendArgs(process.argv.slice(2));
  if (!name || !names().includes(name)) {
    console.error(`usage: npm run bench -- NAME [--backend native|wasm] [--threads N] [args]   (available: ${names().join(', ')})`);
    return 2;
  }
  const host = machine();
  const bench = ((await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { default: Benchmark }).default;
  const context = contextFor(bench.backend ?? options);
  const probe = await openMatmulProbe(context.runtime());
  const before = await probe.measure();
  const result = await bench.run(args, { ...context, matmulGflops: before });
  const after = await probe.measure();
  await probe.dispose();
  if (result.skipped) {
    console.log(`${name}: not run here: ${result.skipped}`);
    return 0;
  }
  const figures: Record<string, Figure> = { matmul_gflops_before: { value: before, unit: GFLOPS }, ...result.figures, ...fractionsOfProbe(result.figures, (before + after) / 2), matmul_gflops_after: { value: after, unit: GFLOPS } };
  printTable(`${name}: ${bench.description}`, figures);
  const notes = [...(result.notes ?? []), `MatMul probe (2048³ float32, bench/matmul-probe.ts) on ${context.backend}, ${context.threads} threads, before and after the bench in the same process`];
  for (const note of notes) console.log(`  note: ${note}`);
  // A bench's figures on wasm sit beside its native ones (a bench that fixes its own backend has one file).
  const suffix = result.variant ? `-${result.variant}` : context.backend === 'wasm' && !bench.backend ? '-wasm' : '';
  const out = join(here, 'results', `${name}${suffix}.json`);
  const spread = probeSpread(before, after);
  if (spread > PROBE_TOLERANCE) {
    console.error(`\nthe machine was busy: the MatMul probe gave ${before} GFLOP/s before and ${after} after (${(spread * 100).toFixed(0)} % apart, more than ${PROBE_TOLERANCE * 100} %); ${out} not written`);
    return 3;
  }
  const record = {
    name, description: bench.description, date: new Date().toISOString(), machine: host, node: process.version,
    backend: context.backend, threads: result.threads ?? context.threads, figures, notes,
  };
  writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
  return Object.values(figures).some((f) => f.pass === false) ? 1 : 0;
}

main().then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
