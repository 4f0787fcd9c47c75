import { createStore, del, entries, get, keys, set, type UseStore } from 'idb-keyval';
import { parseResumeStep } from '../src/training';
import type { TrainingBase } from './job-types';

/**
 * The studio's training data in its own IndexedDB database (deleting cached models leaves it): the
 * dropped images, kept so a reload finds the set again, and the run's files, TrainLoop's log dir
 * (model/ema/opt checkpoints, log.txt, progress.csv), kept so a reload can resume. The page and the
 * worker both open it.
 */

export interface TrainingImageRecord {
  readonly name: string;
  readonly blob: Blob;
  readonly addedAt: number;
}

const IMAGE = 'image:';
const RUN = 'run:';
/** What the run was started from: resume and painting use its flags and base. */
const BASE = 'meta:base';

let db: UseStore | undefined;
const store = (): UseStore => (db ??= createStore('clip-diffusion-web-training', 'files'));

export async function listTrainingImages(): Promise<TrainingImageRecord[]> {
  const all = await entries<string, TrainingImageRecord>(store());
  return all.filter(([k]) => k.startsWith(IMAGE)).map(([, v]) => v).sort((a, b) => a.addedAt - b.addedAt || (a.name < b.name ? -1 : 1));
}

export const putTrainingImage = (record: TrainingImageRecord): Promise<void> => set(IMAGE + record.name, record, store());
export const deleteTrainingImage = (name: string): Promise<void> => del(IMAGE + name, store());

/** The run's files by name, in name order. */
export async function runFileNames(): Promise<string[]> {
  // Keys only: the values are checkpoints of megabytes each.
  const all = await keys<string>(store());
  return all.filter((k) => k.startsWith(RUN)).map((k) => k.slice(RUN.length)).sort();
}

export const readRunFile = (name: string): Promise<Blob | undefined> => get<Blob>(RUN + name, store());
export const writeRunFile = (name: string, blob: Blob): Promise<void> => set(RUN + name, blob, store());

/** A new run starts an empty log dir from `base`. */
export async function startRun(base: TrainingBase): Promise<void> {
  for (const name of await runFileNames()) await del(RUN + name, store());
  await set(BASE, base, store());
}

/** The run's base; a run stored before bases were recorded trained the demo UNet. */
export const runBase = async (): Promise<TrainingBase> => (await get<TrainingBase>(BASE, store())) ?? { source: 'demo' };

/** The model file a resume starts from: the highest step saved (TrainLoop numbers files by step). */
export const latestModelFile = (names: readonly string[]): string | undefined =>
  names.filter((n) => /^model\d+\.pt$/.test(n)).sort((a, b) => parseResumeStep(a) - parseResumeStep(b)).at(-1);

