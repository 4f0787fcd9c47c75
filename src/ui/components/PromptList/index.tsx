import type { KeyboardEvent } from 'react';
import type { PromptEntry } from '../../settings';
import { updateSettings, useStudio } from '../../store';
import { NumberField } from '../NumberField';

const replace = (prompts: readonly PromptEntry[], i: number, patch: Partial<PromptEntry>) => prompts.map((p, j) => (j === i ? { ...p, ...patch } : p));

/** Text prompts with weights (`text:weight`, spec §4.1); a negative weight steers away from the text. */
export function PromptList({ onKeyDown }: { readonly onKeyDown: (e: KeyboardEvent) => void }) {
  const prompts = useStudio((s) => s.settings.prompts);
  return (
    <fieldset className="prompts">
      <legend>Prompts</legend>
      {prompts.map((p, i) => (
        <div className="prompt-row" key={i}>
          <label className="prompt-text">
            {i === 0 ? 'Prompt' : `Prompt ${i + 1}`}
            <textarea aria-label={i === 0 ? 'Prompt' : `Prompt ${i + 1}`} rows={2} value={p.text} onKeyDown={onKeyDown} onChange={(e) => updateSettings({ prompts: replace(prompts, i, { text: e.target.value }) })} placeholder="a lighthouse in a storm, oil on canvas" />
          </label>
          <NumberField label={`Weight of prompt ${i + 1}`} value={p.weight} step={0.1} onChange={(weight) => updateSettings({ prompts: replace(prompts, i, { weight }) })} />
          <button type="button" aria-label={`Remove prompt ${i + 1}`} disabled={prompts.length === 1} onClick={() => updateSettings({ prompts: prompts.filter((_, j) => j !== i) })}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => updateSettings({ prompts: [...prompts, { text: '', weight: 1 }] })}>Add prompt</button>
      <p className="hint">A negative weight pushes the image away from that prompt.</p>
    </fieldset>
  );
}
