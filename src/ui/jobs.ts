import type { ImageRegion } from '../models/swinir';
import type { StepLosses } from '../pipeline';
import type { LossPoint } from './loss-plot';
import type { Backend } from '../runtime';
import type { Pixels } from '../../workers/job-types';
import type { StudioSettings } from './settings';

export type JobStatus = 'queued' | 'running' | 'done' | 'cancelled' | 'error';

/** A finished image as PNG blobs with object URLs (revoked when the job is removed). */
export interface OutputImage {
  readonly png: Blob;
  readonly url: string;
  readonly width: number;
  readonly height: number;
  /** SwinIR ×4 of the image, when the job asked for it. */
  readonly sr?: { readonly png: Blob; readonly url: string; readonly width: number; readonly height: number };
}

export interface JobProgress {
  readonly doneSteps: number;
  readonly totalSteps: number;
  readonly step: number;
  readonly steps: number;
  readonly timestep: number;
  readonly elapsedMs: number;
  readonly losses?: StepLosses | undefined;
  /** SwinIR's pass: tiles done of all, and the parts of the image they cover. */
  readonly upscale?: { readonly tile: number; readonly tiles: number; readonly done: readonly ImageRegion[] } | undefined;
}

export interface JobState {
  readonly id: string;
  readonly settings: StudioSettings;
  readonly status: JobStatus;
  readonly progress?: JobProgress;
  /** Every step's loss terms so far, for the plot. */
  readonly lossHistory?: readonly LossPoint[];
  /** The latest preview (x̂0 every N steps). */
  readonly preview?: Pixels | undefined;
  /** What the job is doing now (loading, waiting for another tab). */
  readonly message?: string;
  /** What the job wants the user to know, each once (LPIPS off, a graph not cached, not kept in the gallery). */
  readonly notices?: readonly string[];
  readonly error?: string;
  readonly images: readonly OutputImage[];
  readonly backend?: Backend;
  readonly modelLabel?: string;
}

/** Seconds left from the pace so far; undefined before the first step. */
export function etaSeconds(p: JobProgress): number | undefined {
  if (p.doneSteps === 0) return undefined;
  return ((p.totalSteps - p.doneSteps) * p.elapsedMs) / p.doneSteps / 1000;
}
