import type { ModelEntry, ModelFile } from '../../../cache';
import { cancelDownload, deleteModel, downloadModel, importModelFile } from '../../models-actions';
import { isUnreachable } from '../../models-state';
import { useStudio } from '../../store';
import { FileDrop } from '../FileDrop';
import { hostOf, progressText, sizeText, statusText } from './format';

/** Where a file can come from, in the order the downloader tries them. */
function SourceList({ file }: { readonly file: ModelFile }) {
  if (!file.sources) return null;
  return (
    <ol className="sources" aria-label={`Sources of ${file.name}`}>
      {file.sources.map((s) => (
        <li key={s.url}>
          <a href={s.url} rel="noreferrer" target="_blank">{hostOf(s.url)}</a>
          {s.github && ' (through GitHub\'s API)'}
          {s.container && `, ${s.container}`}
          {s.keys && ` (${s.keys} names)`}
          {s.size !== undefined && `, ${s.size.toLocaleString('en')} bytes`}
          {s.sha256 && <> <code className="sha" title="SHA-256 the download is verified against">sha256 {s.sha256}</code></>}
        </li>
      ))}
    </ol>
  );
}

/** The files, sizes, digests and sources, folded away: most people need the summary line only. */
function FileList({ model }: { readonly model: ModelEntry }) {
  return (
    <details className="files">
      <summary>{sizeText(model)}: files and sources</summary>
      <ul>
        {model.files.map((f) => (
          <li key={f.url}>
            <code>{f.name}</code> {f.size !== undefined && `${f.size.toLocaleString('en')} bytes`}
            {f.sha256 && <code className="sha" title="SHA-256 the download is verified against">sha256 {f.sha256}</code>}
            <SourceList file={f} />
          </li>
        ))}
      </ul>
    </details>
  );
}

/** One model: its files, cache state, download/cancel/delete, progress, errors and the drop zone. */
export function ModelRow({ model }: { readonly model: ModelEntry }) {
  const status = useStudio((s) => s.models.statuses[model.id]);
  const progress = useStudio((s) => s.models.progress[model.id]);
  const busy = useStudio((s) => s.models.busy[model.id] ?? false);
  const error = useStudio((s) => s.models.errors[model.id]);
  const verified = status?.state === 'verified';
  return (
    <li className="model" aria-label={model.label} data-state={status?.state ?? 'absent'}>
      <h3>{model.label}</h3>
      <FileList model={model} />
      <p className="model-status">{statusText(status)}</p>
      {progress && <progress aria-label={`${model.label} download progress`} max={1} value={progress.fraction ?? 0} />}
      {progress && <p className="model-progress">{progressText(progress)}</p>}
      <div className="row">
        <button type="button" disabled={busy || verified} onClick={() => void downloadModel(model.id)} aria-label={`Download ${model.label}`}>
          {status?.state === 'partial' ? 'Resume' : 'Download'}
        </button>
        <button type="button" disabled={!busy} onClick={() => void cancelDownload(model.id)} aria-label={`Cancel download of ${model.label}`}>Cancel</button>
        <button type="button" disabled={busy || status?.state === 'absent'} onClick={() => void deleteModel(model.id)} aria-label={`Delete ${model.label}`}>Delete</button>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      {isUnreachable(error) && model.page && <p><a href={model.page} rel="noreferrer" target="_blank">{model.label} upstream</a>: download it there, then drop it below.</p>}
      {(isUnreachable(error) || !verified) && (
        <FileDrop label={`Drop the file for ${model.label}`} disabled={busy} onFile={(file) => void importModelFile(model.id, file)}>
          <span>{isUnreachable(error) ? 'Cannot fetch from the browser (CORS/offline): drop the file here instead.' : 'Or drop the file here.'}</span>
        </FileDrop>
      )}
    </li>
  );
}
