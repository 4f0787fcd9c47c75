import { INIT_LOSS_NOTICE } from '../../../pipeline';
import { setInitImage } from '../../restore';
import { updateSettings, useStudio } from '../../store';
import { FileDrop } from '../FileDrop';
import { NumberField } from '../NumberField';

/** The init image (drop, paste anywhere, or pick), its preview, skip steps and init scale. */
export function InitImage() {
  const init = useStudio((s) => s.initImage);
  const skip = useStudio((s) => s.settings.skipTimesteps);
  const initScale = useStudio((s) => s.settings.initScale);
  // The demo pack brings a tiny LPIPS-VGG; cached checkpoints run the term when LPIPS-VGG is chosen beside them.
  const lpips = useStudio((s) => s.modelChoice.source === 'demo' || s.modelChoice.lpips !== undefined);
  return (
    <fieldset className="init-image">
      <legend>Init image</legend>
      <FileDrop label="Init image" accept="image/*" onFile={(f) => void setInitImage(f)}>
        {init ? <img src={init.url} alt={`Init image: ${init.name}`} width={96} /> : <span>Drop or paste an image to start from it.</span>}
      </FileDrop>
      {init && <button type="button" onClick={() => void setInitImage(undefined)}>Remove init image</button>}
      <NumberField label="Skip steps" integer min={0} value={skip} onChange={(skipTimesteps) => updateSettings({ skipTimesteps })} />
      <NumberField label="Init scale" value={initScale} onChange={(v) => updateSettings({ initScale: v })} />
      <p className="hint" id="init-scale-note">
        {lpips
          ? 'Init scale: how strongly LPIPS-VGG pulls the painting towards the init image at every step (the seed uses 1000; 0 turns it off).'
          : `Init scale is off with these models: ${INIT_LOSS_NOTICE}. With cached checkpoints, download LPIPS-VGG under Models and choose it to turn it on.`}
      </p>
    </fieldset>
  );
}
