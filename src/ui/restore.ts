import type { ModelEntry } from '../cache';
import { isDemoClip, type GuideChoice, type ModelChoice } from '../../workers/job-types';
import { reuseSettings } from './gallery-actions';
import { isPng } from '../png';
import { decodeImage } from './image-input';
import { verifiedModels } from './models-state';
import { settingsFromPng } from './png-metadata';
import type { InputImage } from './settings';
import { studio } from './store';

/**
 * The model choice with a PNG's CLIP guides, when this page can run them: demo CLIPs switch to the
 * demo pack; cached ones replace the guides of a cached choice when all are verified and of its
 * diffusion model's format. Otherwise the choice stays, and `missing` names what is not here.
 */
export function restoreGuides(choice: ModelChoice, guides: readonly GuideChoice[], verified: readonly ModelEntry[]): { choice: ModelChoice; missing?: string[] } {
  if (guides.every((g) => isDemoClip(g.id))) return { choice: { source: 'demo', clips: guides } };
  const format = choice.source === 'cache' ? verified.find((m) => m.id === choice.diffusion)?.format : undefined;
  const missing = guides.filter((g) => !verified.some((m) => m.id === g.id && m.kind === 'clip' && m.format === format)).map((g) => g.id);
  if (choice.source === 'cache' && missing.length === 0 && (format === 'checkpoint' || guides.length === 1)) return { choice: { ...choice, clips: guides } };
  return { choice, missing: missing.length > 0 ? missing : guides.map((g) => g.id) };
}

/**
 * A PNG made here (it carries our settings chunk) restores its settings; any other image becomes the
 * init image. Returns what happened, for the drop handlers.
 */
export async function dropImage(file: File): Promise<'restored' | 'init'> {
  const head = new Uint8Array(await file.arrayBuffer());
  const restored = isPng(head) ? settingsFromPng(head) : undefined;
  if (restored) {
    reuseSettings(restored.settings, `Settings restored from ${file.name}`);
    if (restored.guides) {
      const state = studio.getState();
      const { choice, missing } = restoreGuides(state.modelChoice, restored.guides, verifiedModels(state.models.manifest, state.models.statuses));
      studio.setState({ modelChoice: choice, ...(missing && { notice: `Settings restored from ${file.name}; it was guided by ${missing.join(', ')}, which this page cannot use now (download them, or choose cached models first), so the CLIP models stay as they were` }) });
    }
    return 'restored';
  }
  await setInitImage(file);
  return 'init';
}

async function readInputImage(file: File): Promise<InputImage> {
  // Decoded first: a file that is not an image leaves no object URL behind.
  const image = await decodeImage(file);
  return { name: file.name || 'pasted image', url: URL.createObjectURL(file), image };
}

export async function setInitImage(file: File | undefined): Promise<void> {
  try {
    const next = file ? await readInputImage(file) : undefined;
    const old = studio.getState().initImage;
    if (old) URL.revokeObjectURL(old.url);
    studio.setState({ initImage: next, error: undefined });
  } catch (err) {
    studio.setState({ error: `${file?.name ?? 'The image'} could not be read as an image: ${(err as Error).message}` });
  }
}

export async function addImagePrompt(file: File): Promise<void> {
  try {
    const input = await readInputImage(file);
    studio.setState((s) => ({ imagePrompts: [...s.imagePrompts, { ...input, weight: 1 }] }));
  } catch (err) {
    studio.setState({ error: `${file.name} could not be read as an image: ${(err as Error).message}` });
  }
}

export function removeImagePrompt(index: number): void {
  const prompt = studio.getState().imagePrompts[index];
  if (prompt) URL.revokeObjectURL(prompt.url);
  studio.setState((s) => ({ imagePrompts: s.imagePrompts.filter((_, i) => i !== index) }));
}
