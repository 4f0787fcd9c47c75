import type { StepLosses } from '../pipeline';

/**
 * The loss terms the plot draws, per step: CLIP's (summed over prompts, as the total sums them), the
 * three regularisers, and the init image's LPIPS when the job runs it.
 */
export const LOSS_SERIES = ['clip', 'tv', 'range', 'saturation', 'init'] as const;
export type LossSeries = (typeof LOSS_SERIES)[number];

/** One step's terms, as a job's history keeps them ('init' only when the term runs). */
export type LossPoint = Readonly<Record<Exclude<LossSeries, 'init'>, number> & { init?: number }>;

export const lossPoint = (l: StepLosses): LossPoint =>
  ({ clip: l.clip.reduce((a, b) => a + b, 0), tv: l.tv, range: l.range, saturation: l.saturation, ...(l.init !== undefined && { init: l.init }) });

/** A fine-tuning step's losses, as the training plot draws them. */
export const TRAINING_SERIES = ['loss', 'mse', 'vb'] as const;

export interface SeriesPath<S extends string = LossSeries> {
  readonly series: S;
  /** SVG polyline points, "x,y x,y …", one per step so far. */
  readonly points: string;
  readonly latest: number;
  /** A term that stayed 0 (a scale of 0, or range with nothing out of range) is drawn flat at the bottom. */
  readonly flat: boolean;
}

/**
 * The series (generation's LOSS_SERIES, or TRAINING_SERIES) that every point has, each on its own vertical scale (its min at the bottom, its max at the top): the terms differ by
 * orders of magnitude, and what the plot shows is how each moves as the job runs. x spans the job's
 * `totalSteps`, so the lines grow to the right step by step.
 */
export function lossPlotPaths<S extends string>(history: readonly Partial<Record<S, number>>[], series: readonly S[], totalSteps: number, width: number, height: number): SeriesPath<S>[] {
  const x = (i: number) => (totalSteps <= 1 ? 0 : (i / (totalSteps - 1)) * width);
  return series.filter((s) => history.every((p) => p[s] !== undefined)).map((series) => {
    const values = history.map((p) => p[series]!);
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    const flat = !(hi > lo);
    const y = (v: number) => (flat ? height : height - ((v - lo) / (hi - lo)) * height);
    const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    return { series, points, latest: values.at(-1) ?? 0, flat };
  });
}
