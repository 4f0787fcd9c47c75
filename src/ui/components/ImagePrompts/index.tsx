import { addImagePrompt, removeImagePrompt } from '../../restore';
import { studio, useStudio } from '../../store';
import { FileDrop } from '../FileDrop';
import { NumberField } from '../NumberField';

const setWeight = (index: number, weight: number) => studio.setState((s) => ({ imagePrompts: s.imagePrompts.map((p, i) => (i === index ? { ...p, weight } : p)) }));

/** Image prompts: CLIP embeddings of dropped images steer like text prompts (spec §4.2). */
export function ImagePrompts() {
  const prompts = useStudio((s) => s.imagePrompts);
  return (
    <fieldset className="image-prompts">
      <legend>Image prompts</legend>
      {prompts.map((p, i) => (
        <div className="row" key={p.url}>
          <img src={p.url} alt={`Image prompt ${i + 1}: ${p.name}`} width={64} />
          <NumberField label={`Weight of image prompt ${i + 1}`} value={p.weight} step={0.1} onChange={(w) => setWeight(i, w)} />
          <button type="button" aria-label={`Remove image prompt ${i + 1}`} onClick={() => removeImagePrompt(i)}>Remove</button>
        </div>
      ))}
      <FileDrop label="Add an image prompt" accept="image/*" onFile={(f) => void addImagePrompt(f)}>
        <span>Drop an image to use it as a prompt.</span>
      </FileDrop>
    </fieldset>
  );
}
