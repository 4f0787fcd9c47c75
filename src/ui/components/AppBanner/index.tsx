import { reloadToUpdate } from '../../app-update';
import { offlineMessage, usableOffline } from '../../offline';
import { useStudio } from '../../store';

/** A new build of the studio, saved and waiting for a reload (which stops a running job: it says so). */
function UpdatePrompt({ update }: { readonly update: 'waiting' | 'active' }) {
  const running = useStudio((s) => s.jobs.some((j) => j.status === 'running'));
  return (
    <div className="banner" role="status" aria-label="New version">
      <p>
        {update === 'waiting' ? 'A new version of the studio is ready.' : 'A new version of the studio was opened in another tab.'}
        {running && ' Reloading stops the running job.'}
      </p>
      <button type="button" onClick={() => void reloadToUpdate()}>Reload to update</button>
    </div>
  );
}

/** The network and the installed app: offline (what still works), a new version, ready for offline use. */
export function AppBanner() {
  const { online, offlineReady, update } = useStudio((s) => s.app);
  const manifest = useStudio((s) => s.models.manifest);
  const statuses = useStudio((s) => s.models.statuses);
  return (
    <>
      {!online && (
        <div className="banner offline" role="status" aria-label="Offline">
          <p>{offlineMessage(usableOffline(manifest, statuses))}</p>
        </div>
      )}
      {update && <UpdatePrompt update={update} />}
      {online && offlineReady && !update && <p className="notice" aria-label="Offline use">Saved for offline use: the studio now opens without a network.</p>}
    </>
  );
}
