import { updateSettings, useStudio } from '../../store';
import { NumberField } from '../NumberField';
import { BOOL_FIELDS, NUMBER_FIELDS } from './fields';

function SamplingFields() {
  const sampling = useStudio((s) => s.settings.sampling);
  const lossFn = useStudio((s) => s.settings.lossFn);
  return (
    <>
      <label className="field">
        sampling (ddimN or N)
        <input type="text" aria-label="sampling (ddimN or N)" value={sampling} pattern="(ddim)?[0-9]+" onChange={(e) => updateSettings({ sampling: e.target.value.trim() })} />
      </label>
      <label className="field">
        loss_fn
        <select aria-label="loss_fn" value={lossFn} onChange={(e) => updateSettings({ lossFn: e.target.value as 'spherical' | 'cos_spherical' })}>
          <option value="spherical">spherical</option>
          <option value="cos_spherical">cos_spherical</option>
        </select>
      </label>
    </>
  );
}

/** Every sampler option of the seed with its default (spec §1.2), folded away. */
export function Advanced() {
  const settings = useStudio((s) => s.settings);
  return (
    <details className="advanced">
      <summary>Advanced</summary>
      <div className="grid">
        <SamplingFields />
        {NUMBER_FIELDS.map((f) => (
          <NumberField key={f.key} label={f.label} value={settings[f.key]} integer={f.integer ?? false} {...(f.min !== undefined ? { min: f.min } : {})} onChange={(v) => updateSettings({ [f.key]: v })} />
        ))}
        {BOOL_FIELDS.map((f) => (
          <label key={f.key} className="field">
            <input type="checkbox" checked={settings[f.key]} onChange={(e) => updateSettings({ [f.key]: e.target.checked })} />
            {f.label}
          </label>
        ))}
      </div>
    </details>
  );
}
