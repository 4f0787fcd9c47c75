import { useEffect, useMemo } from 'react';
import { deleteGalleryItem, reuseSettings } from '../../gallery-actions';
import type { GalleryItem } from '../../gallery-db';
import { pngFileName } from '../../file-names';
import { promptStrings } from '../../settings';
import { useStudio } from '../../store';

/** An object URL for a blob, revoked when the component goes or the blob changes. */
function useBlobUrl(blob: Blob): string {
  const url = useMemo(() => URL.createObjectURL(blob), [blob]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return url;
}

function Item({ item }: { readonly item: GalleryItem }) {
  const thumb = useBlobUrl(item.png);
  const full = useBlobUrl(item.srPng ?? item.png);
  const title = promptStrings(item.settings.prompts).join(' | ') || 'image prompts';
  return (
    <li aria-label={`Gallery image: ${title}, seed ${item.settings.seed}`}>
      <img src={thumb} width={96} height={96} alt={`Thumbnail: ${title}`} />
      <div className="row">
        <a href={full} target="_blank" rel="noreferrer">Open</a>
        <a href={full} download={pngFileName(item.settings, { upscaled: item.srPng !== undefined })}>Download</a>
        <button type="button" onClick={() => reuseSettings(item.settings, `Settings of "${title}" (seed ${item.settings.seed}) are back in the form`)}>Reuse settings</button>
        <button type="button" aria-label={`Delete gallery image: ${title}`} onClick={() => void deleteGalleryItem(item.id)}>Delete</button>
      </div>
    </li>
  );
}

/** Past results, kept in IndexedDB across visits. */
export function Gallery() {
  const items = useStudio((s) => s.gallery);
  return (
    <section className="gallery" aria-labelledby="gallery-title">
      <h2 id="gallery-title">Gallery</h2>
      {items.length === 0 ? <p>Finished images are kept here.</p> : <ul>{items.map((item) => <Item key={item.id} item={item} />)}</ul>}
    </section>
  );
}
