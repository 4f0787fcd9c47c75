import { readdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * `npm run bench -- NAME`: runs bench/NAME.bench.ts, prints its figures and writes
 * bench/results/NAME.json with the machine it ran on. A bench module default-exports a `Benchmark`.
 */
export interface Figure {
  readonly value: number;
  readonly unit: string;
  /** e.g. '>= 500'; with `pass` when the bench states a target. */
  readonly target?: string;
  readonly pass?: boolean;
}

export interface Benchmark {
  readonly description: string;
  run(args: readonly string[]): Promise<{ figures: Record<string, Figure>; threads: number; notes?: string[] }>;
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
  for (const [key, f] of Object.entries(figures)) {
    const target = f.target ? `  target ${f.target} ${f.pass ? 'PASS' : 'FAIL'}` : '';
    console.log(`  ${key.padEnd(32)} ${String(f.value).padStart(12)} ${f.unit}${target}`);
  }
}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (!name || !names().includes(name)) {
    console.error(`usage: npm run bench -- NAME   (available: ${names().join(', ')})`);
    return 2;
  }
  const host = machine();
  const bench = ((await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { default: Benchmark }).default;
  const result = await bench.run(args);
  printTable(`${name}: ${bench.description}`, result.figures);
  for (const note of result.notes ?? []) console.log(`  note: ${note}`);
  const record = { name, description: bench.description, date: new Date().toISOString(), machine: host, node: process.version, threads: result.threads, figures: result.figures, notes: result.notes ?? [] };
  const out = join(here, 'results', `${name}.json`);
  writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`\nwrote ${out}`);
  return Object.values(result.figures).some((f) => f.pass === false) ? 1 : 0;
}

main().then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
