import { lossPlotPaths } from '../../loss-plot';

const WIDTH = 240;
const HEIGHT = 80;

export interface LossPlotProps<S extends string> {
  readonly history: readonly Partial<Record<S, number>>[];
  readonly series: readonly S[];
  readonly labels: Readonly<Record<S, string>>;
  readonly totalSteps: number;
  /** What the plot shows, for its accessible name ("Loss per step"). */
  readonly title: string;
}

/** Loss terms per step as lines that grow while the job runs, each on its own scale, with its latest value. */
export function LossPlot<S extends string>({ history, series, labels, totalSteps, title }: LossPlotProps<S>) {
  if (history.length === 0) return null;
  const paths = lossPlotPaths(history, series, totalSteps, WIDTH, HEIGHT);
  return (
    <figure className="loss-plot">
      <svg viewBox={`-2 -2 ${WIDTH + 4} ${HEIGHT + 4}`} role="img" aria-label={`${title} (${paths.map((p) => labels[p.series]).join(', ')}), ${history.length} of ${totalSteps} steps`}>
        {paths.map((p) => (
          <polyline key={p.series} className={`loss-${p.series}`} data-series={p.series} points={p.points} fill="none" vectorEffect="non-scaling-stroke" />
        ))}
      </svg>
      <figcaption>
        {paths.map((p) => (
          <span key={p.series} className={`loss-key loss-${p.series}`}>
            {labels[p.series]} {p.latest.toPrecision(3)}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
