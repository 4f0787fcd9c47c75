import type { StepReport, TrainingMemory, TrainOptions } from '../training';
import type { Pixels, TrainingBase } from '../../workers/job-types';

/** The training set as the page shows it: each image with an object URL for its thumbnail. */
export interface TrainingImageView {
  readonly name: string;
  readonly url: string;
  readonly blob: Blob;
}

/** train.py's options as the Train view edits them (EMA rates as the comma list it takes). */
export interface TrainingForm {
  readonly lr: number;
  readonly batchSize: number;
  /** −1: the whole batch at once. */
  readonly microbatch: number;
  readonly emaRates: string;
  readonly lrAnnealSteps: number;
  readonly saveInterval: number;
  readonly logInterval: number;
  readonly seed: number;
}

export type RunStatus = 'idle' | 'running' | 'stopping' | 'done' | 'stopped' | 'error';

export interface TrainingRun {
  readonly status: RunStatus;
  readonly steps: readonly StepReport[];
  /** The loss on the images at fixed draws: before the run's first step, then after each save. */
  readonly fixedLoss: readonly { readonly done: number; readonly loss: number }[];
  /** Steps this run will take (lr_anneal_steps less the step it resumed at). */
  readonly totalSteps: number;
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
  /** The latest unguided sample of the model, and after how many of this run's steps. */
  readonly preview?: { readonly done: number; readonly pixels: Pixels } | undefined;
  readonly error?: string | undefined;
}

/** The Train view's slice of the store. */
export interface TrainingState {
  readonly images: readonly TrainingImageView[];
  /** Dropped files that are not images by name, refused at the drop. */
  readonly refused: readonly string[];
  readonly form: TrainingForm;
  /** What a new run starts from. */
  readonly base: TrainingBase;
  /** What the stored run (its files) was trained from. */
  readonly runBase?: TrainingBase | undefined;
  readonly run: TrainingRun;
  /** The run's saved files (checkpoints, log.txt, progress.csv) in name order, each with an object URL to download it. */
  readonly files: readonly { readonly name: string; readonly url: string; readonly size: number }[];
  /** What the form's run needs, or why it cannot run here. */
  readonly estimate?: (TrainingMemory & { readonly refusal?: string }) | { readonly error: string } | undefined;
}

/** A short run that shows the loss falling on the demo UNet in about a minute on wasm. */
export const TRAINING_DEFAULTS: TrainingForm = { lr: 1e-3, batchSize: 2, microbatch: -1, emaRates: '0.9999', lrAnnealSteps: 20, saveInterval: 10, logInterval: 1, seed: 0 };

export const IDLE_RUN: TrainingRun = { status: 'idle', steps: [], fixedLoss: [], totalSteps: 0, skipped: [] };

export const EMPTY_TRAINING: TrainingState = { images: [], refused: [], form: TRAINING_DEFAULTS, base: { source: 'demo' }, run: IDLE_RUN, files: [] };

/** The engine's options from the form; a bad EMA list is an Error naming it. */
export function trainOptions(f: TrainingForm): TrainOptions {
  const emaRates = f.emaRates.split(',').map((r) => r.trim()).filter(Boolean).map(Number);
  if (emaRates.some((r) => !(r >= 0 && r <= 1))) throw new Error(`EMA rates must be numbers in [0, 1] separated by commas, not '${f.emaRates}'`);
  return { lr: f.lr, weightDecay: 0, lrAnnealSteps: f.lrAnnealSteps, batchSize: f.batchSize, microbatch: f.microbatch, emaRates, logInterval: f.logInterval, saveInterval: f.saveInterval, seed: f.seed };
}
