import type { KeyboardEvent } from 'react';
import { cancel, generate } from '../../actions';
import type { Upscale } from '../../../pipeline';
import { updateSettings, useStudio } from '../../store';
import { urlWithSettings } from '../../url-settings';
import { Advanced } from '../Advanced';
import { ImagePrompts } from '../ImagePrompts';
import { InitImage } from '../InitImage';
import { ModelChoice } from '../ModelChoice';
import { NumberField } from '../NumberField';
import { Presets } from '../Presets';
import { PromptList } from '../PromptList';
import { SeedControl } from '../SeedControl';

function OutputOptions() {
  const numSamples = useStudio((s) => s.settings.numSamples);
  const upscale = useStudio((s) => s.settings.upscale);
  return (
    <div className="row">
      <NumberField label="Number of images" integer min={1} max={16} value={numSamples} onChange={(v) => updateSettings({ numSamples: Math.max(1, v) })} />
      <label className="field">
        Upscale (SwinIR ×4)
        <select aria-label="Upscale (SwinIR ×4)" value={upscale} onChange={(e) => updateSettings({ upscale: e.target.value as Upscale })}>
          <option value="off">off</option>
          <option value="M">SwinIR-M</option>
          <option value="L">SwinIR-L</option>
        </select>
      </label>
    </div>
  );
}

function Buttons() {
  const running = useStudio((s) => s.jobs.some((j) => j.status === 'running'));
  const settings = useStudio((s) => s.settings);
  return (
    <div className="row">
      <button type="submit" aria-keyshortcuts="Control+Enter">Generate</button>
      <button type="button" disabled={!running} onClick={() => cancel()} aria-keyshortcuts="Escape">Cancel</button>
      <a className="button" href={urlWithSettings(location.href, settings)}>Link to these settings</a>
    </div>
  );
}

export function PromptForm() {
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      generate();
    }
  };
  return (
    <form className="prompt-form" aria-label="Generation settings" onSubmit={(e) => (e.preventDefault(), generate())}>
      <ModelChoice />
      <PromptList onKeyDown={onKeyDown} />
      <ImagePrompts />
      <InitImage />
      <SeedControl />
      <OutputOptions />
      <Presets />
      <Advanced />
      <Buttons />
    </form>
  );
}
