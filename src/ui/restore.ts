import { reuseSettings } from './gallery-actions';
import { isPng } from '../png';
import { decodeImage } from './image-input';
import { settingsFromPng } from './png-metadata';
import type { InputImage } from './settings';
import { studio } from './store';

/**
 * A PNG made here (it carries our settings chunk) restores its settings; any other image becomes the
 * init image. Returns what happened, for the drop handlers.
 */
export async function dropImage(file: File): Promise<'restored' | 'init'> {
  const head = new Uint8Array(await file.arrayBuffer());
  const settings = isPng(head) ? settingsFromPng(head) : undefined;
  if (settings) {
    reuseSettings(settings, `Settings restored from ${file.name}`);
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
