import type { ModelEntry, ModelKind } from '../../../cache';
import { DEMO_PACK_LABEL } from '../../../../workers/model-sources';
import type { CachedChoice } from '../../../../workers/job-types';
import { verifiedModels } from '../../models-state';
import { studio, useStudio } from '../../store';

type Slot = 'diffusion' | 'clip' | 'swinirM' | 'swinirL' | 'lpips';

const SLOTS: readonly { readonly slot: Slot; readonly kind: ModelKind; readonly label: string; readonly optional: boolean }[] = [
  { slot: 'diffusion', kind: 'diffusion', label: 'Diffusion model', optional: false },
  { slot: 'clip', kind: 'clip', label: 'CLIP model', optional: false },
  { slot: 'swinirM', kind: 'swinir', label: 'SwinIR-M (upscale M)', optional: true },
  { slot: 'swinirL', kind: 'swinir', label: 'SwinIR-L (upscale L)', optional: true },
  { slot: 'lpips', kind: 'lpips', label: 'LPIPS (init image term)', optional: true },
];

const useVerified = (): ModelEntry[] => {
  const manifest = useStudio((s) => s.models.manifest);
  const statuses = useStudio((s) => s.models.statuses);
  return verifiedModels(manifest, statuses);
};

/**
 * A diffusion model, a CLIP and a SwinIR-M of one format (checkpoints, or a pack's converted
 * models; the worker runs no mix), the given diffusion model's if any, checkpoints first otherwise;
 * LPIPS (only ever a checkpoint) with checkpoints.
 */
function firstOf(verified: readonly ModelEntry[], diffusionId?: string): CachedChoice | undefined {
  const wanted = verified.find((m) => m.id === diffusionId)?.format;
  for (const format of wanted ? [wanted] : (['checkpoint', 'onnx'] as const)) {
    const pick = (kind: ModelKind) => verified.find((m) => m.kind === kind && m.format === format && (kind !== 'diffusion' || !diffusionId || m.id === diffusionId))?.id;
    const [diffusion, clip] = [pick('diffusion'), pick('clip')];
    if (diffusion && clip) return { source: 'cache', diffusion, clip, swinirM: pick('swinir'), lpips: pick('lpips') };
  }
  return undefined;
}

const formatOf = (verified: readonly ModelEntry[], id: string) => verified.find((m) => m.id === id)?.format;

function choose(choice: CachedChoice, verified: readonly ModelEntry[], slot: Slot, id: string | undefined): CachedChoice {
  // Another format for the diffusion model brings a CLIP and SwinIR of that format along.
  if (slot === 'diffusion' && id && formatOf(verified, id) !== formatOf(verified, choice.diffusion)) return firstOf(verified, id) ?? { ...choice, diffusion: id };
  return { ...choice, [slot]: id };
}

function SlotSelect({ choice, verified, spec }: { readonly choice: CachedChoice; readonly verified: readonly ModelEntry[]; readonly spec: (typeof SLOTS)[number] }) {
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
      {choice.source === 'cache' && SLOTS.filter((spec) => spec.kind !== 'lpips' || formatOf(verified, choice.diffusion) === 'checkpoint').map((spec) => <SlotSelect key={spec.slot} choice={choice} verified={verified} spec={spec} />)}
      <p className="notice" aria-label="Models in use">{choice.source === 'demo' ? DEMO_PACK_LABEL : notice(choice, verified)}</p>
    </fieldset>
  );
}
