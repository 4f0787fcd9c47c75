import type { ModelEntry, ModelKind } from '../../../cache';
import { DEMO_CLIP_NAMES, DEMO_CLIPS } from '../../../models/demo';
import { demoPackLabel, trainedLabel } from '../../../../workers/model-sources';
import { guidesOf, type CachedChoice, type GuideChoice, type ModelChoice as ModelChoiceValue } from '../../../../workers/job-types';
import { firstOf, verifiedModels } from '../../models-state';
import { studio, useStudio } from '../../store';

type Slot = 'diffusion' | 'swinirM' | 'swinirL' | 'lpips';

interface SlotSpec {
  readonly slot: Slot;
  readonly kind: ModelKind;
  readonly label: string;
  readonly optional: boolean;
}

/** The diffusion model comes first, then the CLIP guides (GuideList), then these. */
const DIFFUSION_SLOT: SlotSpec = { slot: 'diffusion', kind: 'diffusion', label: 'Diffusion model', optional: false };
const OPTIONAL_SLOTS: readonly SlotSpec[] = [
  { slot: 'swinirM', kind: 'swinir', label: 'SwinIR-M (upscale M)', optional: true },
  { slot: 'swinirL', kind: 'swinir', label: 'SwinIR-L (upscale L)', optional: true },
  { slot: 'lpips', kind: 'lpips', label: 'LPIPS (init image term)', optional: true },
];

const useVerified = (): ModelEntry[] => {
  const manifest = useStudio((s) => s.models.manifest);
  const statuses = useStudio((s) => s.models.statuses);
  return verifiedModels(manifest, statuses);
};

const formatOf = (verified: readonly ModelEntry[], id: string) => verified.find((m) => m.id === id)?.format;

function choose(choice: CachedChoice, verified: readonly ModelEntry[], slot: Slot, id: string | undefined): CachedChoice {
  // Another format for the diffusion model brings a CLIP and SwinIR of that format along.
  if (slot === 'diffusion' && id && formatOf(verified, id) !== formatOf(verified, choice.diffusion)) return firstOf(verified, id) ?? { ...choice, diffusion: id };
  return { ...choice, [slot]: id };
}

function SlotSelect({ choice, verified, spec }: { readonly choice: CachedChoice; readonly verified: readonly ModelEntry[]; readonly spec: SlotSpec }) {
  const format = formatOf(verified, choice.diffusion);
  const options = verified.filter((m) => m.kind === spec.kind && (spec.slot === 'diffusion' || m.format === format));
  return (
    <label className="field">
      {spec.label}
      <select aria-label={spec.label} value={choice[spec.slot] ?? ''} onChange={(e) => studio.setState({ modelChoice: choose(choice, verified, spec.slot, e.target.value || undefined) })}>
        {spec.optional && <option value="">none</option>}
        {options.map((m) => <option key={m.id} value={m.id}>{m.label}</option>)}
      </select>
    </label>
  );
}

interface GuideOption {
  readonly id: string;
  readonly label: string;
}

/** The CLIP models that guide: one or more (a pack's converted CLIP alone), each with the weight on its term. */
function GuideList({ guides, options, single, onChange }: { readonly guides: readonly GuideChoice[]; readonly options: readonly GuideOption[]; readonly single: boolean; readonly onChange: (next: GuideChoice[]) => void }) {
  const set = (i: number, change: Partial<GuideChoice>) => onChange(guides.map((g, k) => (k === i ? { ...g, ...change } : g)));
  const unused = options.find((o) => !guides.some((g) => g.id === o.id));
  return (
    <fieldset className="guides">
      <legend>CLIP guides</legend>
      {guides.map((g, i) => (
        <div className="guide" key={i}>
          <select aria-label={`CLIP model ${i + 1}`} value={g.id} onChange={(e) => set(i, { id: e.target.value })}>
            {options.map((o) => <option key={o.id} value={o.id}>{o.label}</option>)}
          </select>
          <label>
            weight
            <input type="number" aria-label={`Weight of CLIP model ${i + 1}`} step="any" value={g.weight} onChange={(e) => Number.isFinite(e.target.valueAsNumber) && set(i, { weight: e.target.valueAsNumber })} />
          </label>
          {guides.length > 1 && <button type="button" aria-label={`Remove CLIP model ${i + 1}`} onClick={() => onChange(guides.filter((_, k) => k !== i))}>Remove</button>}
        </div>
      ))}
      {!single && unused && <button type="button" onClick={() => onChange([...guides, { id: unused.id, weight: 1 }])}>Add a CLIP guide</button>}
      {guides.length > 1 && <p className="hint">Each model cuts its own cutouts at its own size; their gradients add up, each times its weight.</p>}
    </fieldset>
  );
}

const DEMO_GUIDE_OPTIONS: readonly GuideOption[] = DEMO_CLIP_NAMES.map((id) => ({ id, label: DEMO_CLIPS[id].label }));

/** The diffusion UNet's own weights, or a model or EMA file of the studio's training run when the run was trained from it. */
function TrainedUnet({ choice }: { readonly choice: ModelChoiceValue }) {
  const files = useStudio((s) => s.training.files);
  const base = useStudio((s) => s.training.runBase);
  const fromThis = base !== undefined && (base.source === 'demo' ? choice.source === 'demo' : choice.source === 'cache' && choice.diffusion === base.diffusion);
  const trained = fromThis ? files.filter((f) => /^(model|ema_).*\.pt$/.test(f.name)) : [];
  if (trained.length === 0 && !choice.unet) return null;
  return (
    <label className="field">
      Diffusion UNet
      <select aria-label="Diffusion UNet" value={choice.unet ?? ''} onChange={(e) => studio.setState({ modelChoice: { ...choice, unet: e.target.value || undefined } })}>
        <option value="">{choice.source === 'demo' ? 'Demo UNet (seeded, not trained)' : 'As downloaded'}</option>
        {choice.unet && !trained.some((f) => f.name === choice.unet) && <option value={choice.unet}>{choice.unet} (no longer saved)</option>}
        {trained.map((f) => <option key={f.name} value={f.name}>Fine-tuned: {f.name}</option>)}
      </select>
    </label>
  );
}

/** A cached choice's slots: the diffusion model, its format's CLIPs as guides (a pack's alone), SwinIR, and LPIPS with checkpoints. */
function CachedSlots({ choice, verified }: { readonly choice: CachedChoice; readonly verified: readonly ModelEntry[] }) {
  const format = formatOf(verified, choice.diffusion);
  return (
    <>
      <SlotSelect choice={choice} verified={verified} spec={DIFFUSION_SLOT} />
      <GuideList
        guides={choice.clips}
        options={verified.filter((m) => m.kind === 'clip' && m.format === format)}
        single={format === 'onnx'}
        onChange={(clips) => studio.setState({ modelChoice: { ...choice, clips } })}
      />
      {OPTIONAL_SLOTS.filter((spec) => spec.kind !== 'lpips' || format === 'checkpoint').map((spec) => <SlotSelect key={spec.slot} choice={choice} verified={verified} spec={spec} />)}
    </>
  );
}

const notice = (choice: CachedChoice, verified: readonly ModelEntry[]): string =>
  (formatOf(verified, choice.diffusion) === 'onnx' ? "Converted ONNX models from the pack (each model.json checked)." : 'Cached checkpoints, converted in this browser.');

/** The demo pack, or models from the cache: checkpoints or a pack's converted models (only verified ones are offered). */
export function ModelChoice() {
  const choice = useStudio((s) => s.modelChoice);
  const verified = useVerified();
  const cached = firstOf(verified);
  return (
    <fieldset className="model-choice">
      <legend>Models to use</legend>
      <label>
        <input type="radio" name="model-source" checked={choice.source === 'demo'} onChange={() => studio.setState({ modelChoice: { source: 'demo' } })} />
        Demo pack (tiny random models, not art)
      </label>
      <label>
        <input type="radio" name="model-source" disabled={!cached} checked={choice.source === 'cache'} onChange={() => cached && studio.setState({ modelChoice: cached })} />
        Cached models{cached ? '' : ' (download a diffusion model and a CLIP first)'}
      </label>
      <TrainedUnet choice={choice} />
      {choice.source === 'demo' && <GuideList guides={guidesOf(choice)} options={DEMO_GUIDE_OPTIONS} single={false} onChange={(clips) => studio.setState({ modelChoice: { ...choice, clips } })} />}
      {choice.source === 'cache' && <CachedSlots choice={choice} verified={verified} />}
      <p className="notice" aria-label="Models in use">{choice.source === 'demo' ? demoPackLabel(choice.unet) : trainedLabel(notice(choice, verified), choice.unet)}</p>
    </fieldset>
  );
}
