import { PRESETS, type PresetName } from '../../settings';
import { updateSettings } from '../../store';

/** Presets replace the sampler settings; prompts, images and seed stay. */
export function Presets() {
  return (
    <div className="row presets" role="group" aria-label="Presets">
      {(Object.keys(PRESETS) as PresetName[]).map((name) => (
        <button type="button" key={name} onClick={() => updateSettings(PRESETS[name])}>
          Preset: {name}
        </button>
      ))}
    </div>
  );
}
