import { createStore, del, entries, set, type UseStore } from 'idb-keyval';
import type { StudioSettings } from './settings';

/** One kept result: the PNGs themselves (metadata inside) and what the gallery lists. */
export interface GalleryItem {
  readonly id: string;
  readonly createdAt: number;
  readonly settings: StudioSettings;
  readonly modelLabel: string;
  /** The sampler's image (also the thumbnail). */
  readonly png: Blob;
  /** The SwinIR ×4 image, when made. */
  readonly srPng?: Blob;
}

// Its own database: the model cache's store is cleared by "delete all models", the gallery is not.
let db: UseStore | undefined;
// createStore opens the database, so it is made once.
const store = (): UseStore => (db ??= createStore('clip-diffusion-web-gallery', 'images'));

export async function listGallery(): Promise<GalleryItem[]> {
  const all = await entries<string, GalleryItem>(store());
  return all.map(([, item]) => item).sort((a, b) => b.createdAt - a.createdAt);
}

export const saveToGallery = (item: GalleryItem): Promise<void> => set(item.id, item, store());

export const deleteFromGallery = (id: string): Promise<void> => del(id, store());
