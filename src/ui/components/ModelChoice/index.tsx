import type { ModelEntry, ModelKind } from '../../../cache';
import { DEMO_PACK_LABEL } from '../../../../workers/model-sources';
import type { CachedChoice } from '../../../../workers/job-types';
import { studio, useStudio } from '../../store';

type Slot = 'diffusion' | 'clip' | 'swinirM' | 'swinirL';

const SLOTS: readonly { readonly slot: Slot; readonly kind: ModelKind; readonly label: string; readonly optional: boolean }[] = [
  { slot: 'diffusion', kind: 'diffusion', label: 'Diffusion model', optional: false },
  { slot: 'clip', kind: 'clip', label: 'CLIP model', optional: false },
  { slot: 'swinirM', kind: 'swinir', label: 'SwinIR-M (upscale M)', optional: true },
  { slot: 'swinirL', kind: 'swinir', label: 'SwinIR-L (upscale L)', optional: true },
];

const useVerified = (): ModelEntry[] => {
  const manifest = useStudio((s) => s.models.manifest);
  const statuses = useStudio((s) => s.models.statuses);
  return (manifest?.models ?? []).filter((m) => m.format === 'checkpoint' && statuses[m.id]?.state === 'verified');
};

function firstOf(verified: readonly ModelEntry[]): CachedChoice | undefined {
  const pick = (kind: ModelKind) => verified.find((m) => m.kind === kind)?.id;
  const [diffusion, clip] = [pick('diffusion'), pick('clip')];
  return diffusion && clip ? { source: 'cache', diffusion, clip, swinirM: pick('swinir') } : undefined;
}

function SlotSelect({ choice, verified, spec }: { readonly choice: CachedChoice; readonly verified: readonly ModelEntry[]; readonly spec: (typeof SLOTS)[number] }) {
  const options = verified.filter((m) => m.kind === spec.kind);
  return (
    <label className="field">
      {spec.label}
      <select aria-label={spec.label} value={choice[spec.slot] ?? ''} onChange={(e) => studio.setState({ modelChoice: { ...choice, [spec.slot]: e.target.value || undefined } })}>
        {spec.optional && <option value="">none</option>}
        {options.map((m) => <option key={m.id} value={m.id}>{m.label}</option>)}
      </select>
    </label>
  );
}

/** The demo pack, or checkpoints from the cache (only verified ones are offered). */
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
      {choice.source === 'cache' && SLOTS.map((spec) => <SlotSelect key={spec.slot} choice={choice} verified={verified} spec={spec} />)}
      <p className="notice" aria-label="Models in use">{choice.source === 'demo' ? DEMO_PACK_LABEL : 'Cached checkpoints, converted in this browser.'}</p>
    </fieldset>
  );
}
