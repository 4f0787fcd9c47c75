import { TRAINING_SERIES } from '../../loss-plot';
import { useStudio } from '../../store';
import type { TrainingBase } from '../../../../workers/job-types';
import { verifiedModels } from '../../models-state';
import {
  addTrainingFiles, chooseTrainingBase, paintWithTrained, removeTrainingImage, startTraining, stopTraining, updateTrainingForm,
} from '../../training-actions';
import type { TrainingState } from '../../training-state';
import { FileDrop } from '../FileDrop';
import { LossPlot } from '../LossPlot';
import { NumberField } from '../NumberField';
import { PixelCanvas } from '../PixelCanvas';

const LABELS = { loss: 'loss', mse: 'mse', vb: 'vb' } as const;

const mb = (bytes: number): string => (bytes < 1024 ** 2 ? `${Math.ceil(bytes / 1024)} kB` : `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MB`);

function ImageSet({ t, busy }: { readonly t: TrainingState; readonly busy: boolean }) {
  return (
    <>
      <FileDrop label="Training images" accept=".png,.jpg,.jpeg,.gif" multiple disabled={busy} onFiles={(files) => void addTrainingFiles(files)}>
        <p>Drop images here (PNG, JPEG, GIF): each is centre-cropped to the model's size, as the seed's data loader does.</p>
      </FileDrop>
      {t.refused.length > 0 && <p className="notice" role="alert">Not images, left out: {t.refused.join(', ')}</p>}
      <ul className="training-set" aria-label="Training set">
        {t.images.map((i) => (
          <li key={i.name}>
            <img src={i.url} alt={i.name} />
            <button type="button" disabled={busy} aria-label={`Remove ${i.name}`} onClick={() => void removeTrainingImage(i.name)}>×</button>
          </li>
        ))}
      </ul>
    </>
  );
}

/** What a new run starts from: the demo UNet, or a cached diffusion checkpoint (its yaml's flags). */
function BaseSelect({ t, busy }: { readonly t: TrainingState; readonly busy: boolean }) {
  const manifest = useStudio((s) => s.models.manifest);
  const statuses = useStudio((s) => s.models.statuses);
  const checkpoints = verifiedModels(manifest, statuses).filter((m) => m.kind === 'diffusion' && m.format === 'checkpoint');
  const value = t.base.source === 'demo' ? '' : t.base.diffusion;
  const label = (base: TrainingBase | undefined) => (!base || base.source === 'demo' ? 'the demo UNet' : (checkpoints.find((m) => m.id === base.diffusion)?.label ?? base.diffusion));
  return (
    <>
      <label className="field">
        Start from
        <select aria-label="Start from" disabled={busy} value={value} onChange={(e) => chooseTrainingBase(e.target.value ? { source: 'cache', diffusion: e.target.value } : { source: 'demo' })}>
          <option value="">Demo UNet (64², seeded)</option>
          {checkpoints.map((m) => <option key={m.id} value={m.id}>{m.label}</option>)}
        </select>
      </label>
      {t.runBase && <p className="hint">The saved run was trained from {label(t.runBase)}; Resume continues it.</p>}
    </>
  );
}

function Options({ t, busy }: { readonly t: TrainingState; readonly busy: boolean }) {
  const f = t.form;
  return (
    <fieldset className="training-options" disabled={busy}>
      <legend>train.py options</legend>
      <NumberField label="Learning rate" value={f.lr} min={0} onChange={(lr) => updateTrainingForm({ lr })} />
      <NumberField label="Batch size" value={f.batchSize} min={1} integer onChange={(batchSize) => updateTrainingForm({ batchSize })} />
      <NumberField label="Microbatch (−1: whole batch)" value={f.microbatch} min={-1} integer onChange={(microbatch) => updateTrainingForm({ microbatch })} />
      <label className="field">
        EMA rates
        <input aria-label="EMA rates" value={f.emaRates} onChange={(e) => updateTrainingForm({ emaRates: e.target.value })} />
      </label>
      <NumberField label="Steps (lr_anneal_steps)" value={f.lrAnnealSteps} min={1} integer onChange={(lrAnnealSteps) => updateTrainingForm({ lrAnnealSteps })} />
      <NumberField label="Save every (steps)" value={f.saveInterval} min={1} integer onChange={(saveInterval) => updateTrainingForm({ saveInterval })} />
      <NumberField label="Log every (steps)" value={f.logInterval} min={1} integer onChange={(logInterval) => updateTrainingForm({ logInterval })} />
      <NumberField label="Training seed" value={f.seed} min={0} integer onChange={(seed) => updateTrainingForm({ seed })} />
    </fieldset>
  );
}

function Estimate({ t }: { readonly t: TrainingState }) {
  const e = t.estimate;
  if (!e) return null;
  if ('error' in e) return <p className="notice" role="alert" aria-label="Memory estimate">{e.error}</p>;
  return (
    <p className={e.refusal ? 'notice' : 'hint'} aria-label="Memory estimate">
      {e.refusal ? `Cannot run here: ${e.refusal}.` : `Needs about ${mb(e.runtimePeak)} in the runtime at its peak (largest buffer ${mb(e.largestValue)}) and ${mb(e.host)} in the page for ${(e.parameters / 1e6).toFixed(2)} M parameters.`}
    </p>
  );
}

function Progress({ t }: { readonly t: TrainingState }) {
  const r = t.run;
  const last = r.steps.at(-1);
  const [first, latest] = [r.fixedLoss[0], r.fixedLoss.at(-1)];
  const status = { idle: 'Not started', running: 'Training', stopping: 'Stopping after this step…', done: 'Done', stopped: 'Stopped (saved)', error: 'Failed' }[r.status];
  return (
    <div className="training-progress">
      <p role="status" aria-label="Training status">
        {status}{last ? ` · step ${last.step} (${r.steps.length} of ${r.totalSteps} this run) · loss ${last.loss.toFixed(4)}` : ''}
      </p>
      {r.totalSteps > 0 && <progress aria-label="Training progress" max={r.totalSteps} value={r.steps.length} />}
      <LossPlot history={r.steps} series={TRAINING_SERIES} labels={LABELS} totalSteps={Math.max(r.totalSteps, r.steps.length)} title="Training loss per step" />
      {first && latest && (
        <p aria-label="Loss on your images">
          Loss on your images at fixed noise: {first.loss.toFixed(4)}{latest !== first ? ` → ${latest.loss.toFixed(4)} after ${latest.done} steps` : ' before training'}
        </p>
      )}
      {r.preview && <PixelCanvas pixels={r.preview.pixels} scale={2} label={r.preview.done ? `Sample after ${r.preview.done} steps` : 'Sample before training'} />}
      {r.skipped.length > 0 && <p className="notice">Skipped: {r.skipped.map((s) => `${s.name} (${s.reason})`).join('; ')}</p>}
      {r.error && <p className="error" role="alert">{r.error}</p>}
    </div>
  );
}

function RunFiles({ t }: { readonly t: TrainingState }) {
  if (t.files.length === 0) return null;
  return (
    <ul className="run-files" aria-label="Saved files">
      {t.files.map((f) => (
        <li key={f.name}>
          <a href={f.url} download={f.name}>Download {f.name}</a> ({mb(f.size)})
          {/^(model|ema_)/.test(f.name) && <button type="button" onClick={() => paintWithTrained(f.name)}>Paint with {f.name}</button>}
        </li>
      ))}
    </ul>
  );
}

/**
 * Fine-tuning in the studio (the seed's train.py): the demo pack's UNet trained on the dropped
 * images, its checkpoints in torch's format to download or to paint with.
 */
export function TrainPanel() {
  const t = useStudio((s) => s.training);
  const busy = t.run.status === 'running' || t.run.status === 'stopping';
  const refused = t.estimate !== undefined && ('error' in t.estimate || t.estimate.refusal !== undefined);
  const canResume = t.files.some((f) => /^model\d+\.pt$/.test(f.name));
  return (
    <section className="train-panel" aria-label="Fine-tune">
      <h2>Fine-tune the diffusion model</h2>
      <p className="hint">Trains a UNet (the demo pack&apos;s, or a cached diffusion checkpoint) on your images as the seed&apos;s train.py does (AdamW, EMA, RESCALED_MSE), on this device. Checkpoints are torch files PyTorch loads.</p>
      <ImageSet t={t} busy={busy} />
      <BaseSelect t={t} busy={busy} />
      <Options t={t} busy={busy} />
      <Estimate t={t} />
      <div className="actions">
        <button type="button" disabled={busy || refused || t.images.length === 0} onClick={() => void startTraining(false)}>Start training</button>
        <button type="button" disabled={busy || refused || !canResume || t.images.length === 0} onClick={() => void startTraining(true)}>Resume</button>
        <button type="button" disabled={t.run.status !== 'running'} onClick={stopTraining}>Stop</button>
      </div>
      <Progress t={t} />
      <RunFiles t={t} />
    </section>
  );
}
