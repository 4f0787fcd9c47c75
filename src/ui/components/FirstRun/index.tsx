import { formatBytes, type ModelEntry } from '../../../cache';
import { aggregateProgress, downloadSize, seedModels, type Aggregate } from '../../first-run';
import { downloadAll } from '../../models-actions';
import { isUnreachable } from '../../models-state';
import { useStudio } from '../../store';
import { seconds } from '../ModelsPanel/format';

function AllProgress({ total }: { readonly total: Aggregate }) {
  return (
    <>
      <progress aria-label="Download all progress" max={1} value={total.fraction ?? 0} />
      <p className="notice" aria-label="Download all status">
        {formatBytes(total.bytesDone)}{total.totalBytes !== undefined ? ` of ${formatBytes(total.totalBytes)}` : ''}
        {total.fraction !== undefined ? ` (${Math.floor(total.fraction * 100)}%)` : ''}
        {total.bytesPerSecond > 0 ? `, ${formatBytes(total.bytesPerSecond)}/s` : ''}
        {total.etaSeconds !== undefined ? `, ${seconds(total.etaSeconds)} left` : ''}
      </p>
    </>
  );
}

/** The models whose hosts refused the page: their files' direct links and upstream pages. */
function Refused({ models }: { readonly models: readonly ModelEntry[] }) {
  return (
    <div role="alert">
      <p>These hosts do not let this page download the files. Download them yourself, then drop each on its model in <a href="#models-title">Models</a> below:</p>
      <ul>
        {models.map((m) => (
          <li key={m.id}>
            {m.label}: {m.files.map((f) => <a key={f.url} href={f.url}>{f.name}</a>)}{m.page && <> (<a href={m.page}>upstream page</a>)</>}
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * Shown until the seed's models are cached: says the demo pack paints noise, what the real models
 * weigh, and gets them all with one button and one progress bar; where a host refuses the page, the
 * direct links and where to drop the files.
 */
export function FirstRun() {
  const manifest = useStudio((s) => s.models.manifest);
  const { statuses, progress, fileBytes, busy, errors } = useStudio((s) => s.models);
  const needed = seedModels(manifest);
  if (needed.length === 0 || needed.every((m) => statuses[m.id]?.state === 'verified')) return null;
  const size = downloadSize(needed);
  const running = needed.some((m) => busy[m.id]);
  const total = aggregateProgress(needed, statuses, fileBytes, needed.map((m) => progress[m.id]?.bytesPerSecond ?? 0));
  const refused = needed.filter((m) => isUnreachable(errors[m.id]));
  const sizeText = `${formatBytes(size.bytes)}${size.unknownFiles > 0 ? ` plus ${size.unknownFiles} file${size.unknownFiles > 1 ? 's' : ''} whose size is not published` : ''}`;
  return (
    <section className="first-run" aria-labelledby="first-run-title">
      <h2 id="first-run-title">Paint with the real models</h2>
      <p>
        The demo pack runs tiny networks with random weights: it paints noise, not art. The seed&apos;s defaults need these models, {sizeText} in all,
        downloaded once and kept in this browser:
      </p>
      <ul>
        {needed.map((m) => <li key={m.id}>{m.label}</li>)}
      </ul>
      <button type="button" disabled={running} onClick={() => void downloadAll(needed)}>Download all</button>
      {running && <AllProgress total={total} />}
      {refused.length > 0 && <Refused models={refused} />}
    </section>
  );
}
