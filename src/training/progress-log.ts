import { pyFormatG, pyStr } from './python-format';

/**
 * train.py's logger (OpenAI's, as clip_diffusion_art/logger.py has it) for what it writes per
 * dump: key/value means over the steps since the last dump, log.txt's table and progress.csv,
 * which gains columns as new keys appear (the header rewritten, older rows padded).
 */

export interface LoggedValue {
  readonly value: number;
  /** Python ints (step, samples) print as ints in progress.csv. */
  readonly isInt: boolean;
}

/** The values of the dump in progress (name2val / name2cnt). */
export interface KvAccumulator {
  readonly values: Map<string, LoggedValue>;
  readonly counts: Map<string, number>;
}

export const kvAccumulator = (): KvAccumulator => ({ values: new Map(), counts: new Map() });

/** logkv: the last value wins. */
export const logKv = (acc: KvAccumulator, key: string, value: number, isInt = false): void => void acc.values.set(key, { value, isInt });

/**
 * logkv_mean: old·n/(n+1) + v/(n+1) in float64; `float32Value` for a numpy float32 sample, whose
 * v/(n+1) numpy 1.x rounds to float32 before the float64 sum.
 */
export function logKvMean(acc: KvAccumulator, key: string, value: number, float32Value = false): void {
  const old = acc.values.get(key)?.value ?? 0;
  const n = acc.counts.get(key) ?? 0;
  const part = float32Value ? Math.fround(value / (n + 1)) : value / (n + 1);
  acc.values.set(key, { value: (old * n) / (n + 1) + part, isInt: false });
  acc.counts.set(key, n + 1);
}

/**
 * log_loss_dict for one microbatch: each term's float32 mean, then each sample under `{key}_q{quartile}`
 * of its timestep (training_losses' order: vb, mse, loss).
 */
export function logLossDict(acc: KvAccumulator, numTimesteps: number, t: ArrayLike<number>, losses: Readonly<Record<'vb' | 'mse' | 'loss', ArrayLike<number>>>): void {
  for (const key of ['vb', 'mse', 'loss'] as const) {
    const values = losses[key];
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += values[i]!;
    logKvMean(acc, key, Math.fround(sum / values.length));
    for (let i = 0; i < values.length; i++) logKvMean(acc, `${key}_q${Math.floor((4 * t[i]!) / numTimesteps)}`, values[i]!, true);
  }
}

/** dumpkvs: the values logged since the last dump, cleared for the next. */
export function dumpKvs(acc: KvAccumulator): ReadonlyMap<string, LoggedValue> {
  const row = new Map(acc.values);
  acc.values.clear();
  acc.counts.clear();
  return row;
}

const truncate = (s: string): string => (s.length > 30 ? `${s.slice(0, 27)}...` : s);

/** HumanOutputFormat.writekvs: the table written to stdout and log.txt ('%-8.3g' for every number). */
export function humanTable(row: ReadonlyMap<string, LoggedValue>): string {
  const byKey = (f: (s: string) => string) => ([a]: readonly [string, string], [b]: readonly [string, string]) => (f(a) < f(b) ? -1 : f(a) > f(b) ? 1 : 0);
  // sorted(kvs) first, then a stable sort on key.lower(), as writekvs does.
  const cells = [...row].map(([k, v]) => [truncate(k), truncate(pyFormatG(v.value, 3).padEnd(8))] as const).sort(byKey((s) => s)).sort(byKey((s) => s.toLowerCase()));
  const kw = Math.max(...cells.map(([k]) => k.length));
  const vw = Math.max(...cells.map(([, v]) => v.length));
  const dashes = '-'.repeat(kw + vw + 7);
  return [dashes, ...cells.map(([k, v]) => `| ${k.padEnd(kw)} | ${v.padEnd(vw)} |`), dashes].join('\n') + '\n';
}

/** progress.csv so far: its columns in order and its data rows. */
export interface CsvLog {
  readonly keys: string[];
  readonly rows: string[];
}

export const csvLog = (): CsvLog => ({ keys: [], rows: [] });

/** CSVOutputFormat.writekvs: new keys (sorted) appended as columns, earlier rows padded; returns the whole file. */
export function appendCsvRow(csv: CsvLog, row: ReadonlyMap<string, LoggedValue>): string {
  const extra = [...row.keys()].filter((k) => !csv.keys.includes(k)).sort();
  if (extra.length > 0) {
    csv.keys.push(...extra);
    for (let i = 0; i < csv.rows.length; i++) csv.rows[i] += ','.repeat(extra.length);
  }
  csv.rows.push(csv.keys.map((k) => (row.has(k) ? pyStr(row.get(k)!.value, row.get(k)!.isInt) : '')).join(','));
  return [csv.keys.join(','), ...csv.rows].join('\n') + '\n';
}
