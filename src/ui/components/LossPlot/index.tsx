import { lossPlotPaths, type LossPoint, type LossSeries } from '../../loss-plot';

const WIDTH = 240;
const HEIGHT = 80;
const LABEL: Record<LossSeries, string> = { clip: 'CLIP', tv: 'TV', range: 'range', saturation: 'saturation', init: 'init (LPIPS)' };

/** The loss terms per step as lines that grow while the job runs, each on its own scale, with its latest value. */
export function LossPlot({ history, totalSteps }: { readonly history: readonly LossPoint[]; readonly totalSteps: number }) {
  if (history.length === 0) return null;
  const paths = lossPlotPaths(history, totalSteps, WIDTH, HEIGHT);
  return (
    <figure className="loss-plot">
      <svg viewBox={`-2 -2 ${WIDTH + 4} ${HEIGHT + 4}`} role="img" aria-label={`Loss per step (${paths.map((p) => LABEL[p.series]).join(', ')}), ${history.length} of ${totalSteps} steps`}>
        {paths.map((p) => (
          <polyline key={p.series} className={`loss-${p.series}`} data-series={p.series} points={p.points} fill="none" vectorEffect="non-scaling-stroke" />
        ))}
      </svg>
      <figcaption>
        {paths.map((p) => (
          <span key={p.series} className={`loss-key loss-${p.series}`}>
            {LABEL[p.series]} {p.latest.toPrecision(3)}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
