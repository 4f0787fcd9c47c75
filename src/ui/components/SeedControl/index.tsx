import { randomSeed } from '../../actions';
import { studio, updateSettings, useStudio } from '../../store';
import { NumberField } from '../NumberField';

/** The seed, a lock (unlocked: every Generate draws a new one) and a randomise button. */
export function SeedControl() {
  const seed = useStudio((s) => s.settings.seed);
  const locked = useStudio((s) => s.seedLocked);
  return (
    <div className="row seed">
      <NumberField label="Seed" integer min={0} max={2147483647} value={seed} onChange={(v) => updateSettings({ seed: v })} />
      <label>
        <input type="checkbox" checked={locked} onChange={(e) => studio.setState({ seedLocked: e.target.checked })} />
        Lock seed
      </label>
      <button type="button" onClick={() => updateSettings({ seed: randomSeed() })}>Randomise seed</button>
    </div>
  );
}
