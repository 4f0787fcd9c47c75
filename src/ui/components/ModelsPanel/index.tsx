import { formatBytes } from '../../../cache';
import { deleteAllModels, requestStoragePersistence } from '../../models-actions';
import { useStudio } from '../../store';
import { ModelRow } from './ModelRow';

function StorageInfo() {
  const storage = useStudio((s) => s.models.storage);
  const persistence = useStudio((s) => s.models.persistence);
  const known = storage?.usage !== undefined && storage.quota !== undefined;
  return (
    <div className="storage" aria-label="Storage">
      <span>{known ? `Using ${formatBytes(storage.usage!)} of ${formatBytes(storage.quota!)} the browser allows` : 'The browser does not report its storage quota'}</span>
      <span>{storage?.persisted ? ' · persistent' : ' · may be evicted under storage pressure'}</span>
      <button type="button" onClick={() => void requestStoragePersistence()} disabled={storage?.persisted === true}>Keep models (persistent storage)</button>
      {persistence && <p>{persistence}</p>}
    </div>
  );
}

/** The manifest's models with their cache state; the built-in demo pack needs none of them. */
export function ModelsPanel() {
  const manifest = useStudio((s) => s.models.manifest);
  const packError = useStudio((s) => s.models.packError);
  const packSavedAt = useStudio((s) => s.models.packSavedAt);
  const error = useStudio((s) => s.models.error);
  return (
    <section className="models" aria-labelledby="models-title">
      <h2 id="models-title">Models{manifest ? `: ${manifest.name}` : ''}</h2>
      {packError && <p role="alert">The model pack could not be used: {packError}</p>}
      {packSavedAt !== undefined && <p className="notice">The pack&apos;s host cannot be reached: its list as saved on {new Date(packSavedAt).toLocaleString()} is shown.</p>}
      <StorageInfo />
      <ul className="model-list">{manifest?.models.map((m) => <ModelRow key={m.id} model={m} />)}</ul>
      <button type="button" onClick={() => void deleteAllModels()}>Delete all cached models</button>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
