import { deleteFromGallery, listGallery } from './gallery-db';
import type { StudioSettings } from './settings';
import { studio } from './store';

export async function refreshGallery(): Promise<void> {
  try {
    studio.setState({ gallery: await listGallery() });
  } catch (err) {
    studio.setState({ error: `The gallery could not be read: ${(err as Error).message}` });
  }
}

export async function deleteGalleryItem(id: string): Promise<void> {
  await deleteFromGallery(id);
  await refreshGallery();
}

/** Puts a past image's settings back in the form (images are not kept, so init and image prompts stay as they are). */
export function reuseSettings(settings: StudioSettings, why: string): void {
  studio.setState({ settings, seedLocked: true, notice: why, error: undefined });
}
