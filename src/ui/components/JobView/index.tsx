import { useId } from 'react';
import type { Pixels } from '../../../../workers/job-types';
import { etaSeconds, type JobProgress, type JobState } from '../../jobs';
import { useStudio } from '../../store';
import { LOSS_SERIES, type LossSeries } from '../../loss-plot';
import { LossPlot } from '../LossPlot';
import { PixelCanvas } from '../PixelCanvas';
import { Result } from '../Result';

const LOSS_LABELS: Record<LossSeries, string> = { clip: 'CLIP', tv: 'TV', range: 'range', saturation: 'saturation', init: 'init (LPIPS)' };

const STATUS = { queued: 'Queued', running: 'Running', done: 'Done', cancelled: 'Cancelled', error: 'Failed' } as const;

function Losses({ p }: { readonly p: JobProgress }) {
  if (!p.losses) return null;
  const clip = p.losses.clip.map((l) => l.toFixed(4)).join(', ');
  return (
    <p className="losses" aria-label="Loss terms">
      CLIP {clip} · TV {p.losses.tv.toFixed(4)} · range {p.losses.range.toFixed(4)} · saturation {p.losses.saturation.toFixed(4)}
      {p.losses.init !== undefined && ` · init (LPIPS) ${p.losses.init.toFixed(4)}`} · gradient RMS {p.losses.gradRms.toExponential(2)}
    </p>
  );
}

function StepProgress({ job }: { readonly job: JobState }) {
  const p = job.progress;
  const eta = p && etaSeconds(p);
  return (
    <>
      <progress aria-label="Generation progress" max={p?.totalSteps || 1} value={p?.doneSteps ?? 0} />
      <span className="step-text">
        {job.status === 'running' && p ? `Step ${p.doneSteps} of ${p.totalSteps} (t=${p.timestep})${eta !== undefined ? `, about ${Math.ceil(eta)} s left` : ''}` : STATUS[job.status]}
      </span>
      {p?.upscale && <progress aria-label="Upscale progress" max={p.upscale.tiles} value={p.upscale.tile} />}
      {p?.upscale && <span>Upscaling: tile {p.upscale.tile} of {p.upscale.tiles}</span>}
      {p && <Losses p={p} />}
      {p && job.lossHistory && <LossPlot history={job.lossHistory} series={LOSS_SERIES} labels={LOSS_LABELS} totalSteps={p.totalSteps} title="Loss per step" />}
    </>
  );
}

/** The latest preview; while SwinIR runs, veiled where its tiles are not done yet (overlapping tiles each lift their part). */
function Preview({ job, preview }: { readonly job: JobState; readonly preview: Pixels }) {
  const mask = `veil-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  const scale = 256 / preview.width;
  const canvas = <PixelCanvas pixels={preview} label={`Preview at step ${job.progress?.doneSteps ?? 0}`} scale={scale} />;
  const upscale = job.progress?.upscale;
  // From the last step on, the preview is the image SwinIR is enlarging.
  const upscaling = job.settings.upscale !== 'off' && (upscale !== undefined || job.progress?.doneSteps === job.progress?.totalSteps);
  if (!upscaling) return canvas;
  const label = upscale ? `Upscaling ×4: tile ${upscale.tile} of ${upscale.tiles}` : 'Upscaling ×4 with SwinIR…';
  const { width, height } = preview;
  return (
    <div className="upscaling" style={{ width: width * scale }}>
      {canvas}
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} preserveAspectRatio="none">
        <mask id={mask}>
          <rect width={width} height={height} fill="white" />
          {upscale?.done.map((r, i) => <rect key={i} x={r.left} y={r.top} width={r.width} height={r.height} fill="black" />)}
        </mask>
        <rect className="veil" width={width} height={height} mask={`url(#${mask})`} />
      </svg>
      <span className="upscaling-label">{label}</span>
    </div>
  );
}

/** The shown job: progress, ETA, loss terms, the latest preview, then its images. */
export function JobView() {
  const job = useStudio((s) => s.jobs.find((j) => j.id === s.shownJob));
  const error = useStudio((s) => s.error);
  const notice = useStudio((s) => s.notice);
  return (
    <section className="progress" aria-live="polite">
      {notice && <p className="notice">{notice}</p>}
      {error && <p role="alert">{error}</p>}
      {job ? <StepProgress job={job} /> : <span>Ready</span>}
      {job?.message && <p className="notice">{job.message}</p>}
      {job?.notices?.map((n) => <p key={n} className="notice">{n}</p>)}
      {job?.error && <p role="alert">{job.error}</p>}
      {job?.preview && job.status === 'running' && <Preview job={job} preview={job.preview} />}
      {job && <Result job={job} />}
    </section>
  );
}
