import { cancel, dismissJob } from '../../actions';
import type { JobState } from '../../jobs';
import { promptStrings } from '../../settings';
import { studio, useStudio } from '../../store';
import { PixelCanvas } from '../PixelCanvas';

const THUMB = 96;

/** A job's picture: its result once there is one, else its latest preview, else an empty frame. */
function Thumbnail({ job, label }: { readonly job: JobState; readonly label: string }) {
  const image = job.images[0];
  if (image) return <img src={image.url} width={THUMB} height={THUMB} alt={`Result of ${label}`} />;
  if (job.preview) return <PixelCanvas pixels={job.preview} label={`Preview of ${label}`} scale={THUMB / job.preview.width} />;
  return <span className="thumb-empty" aria-hidden="true" />;
}

/** The jobs, oldest first: queued ones wait for the running one; finished ones can be shown again or dismissed. */
export function Queue() {
  const jobs = useStudio((s) => s.jobs);
  if (jobs.length === 0) return null;
  return (
    <section className="queue" aria-label="Queue">
      <h2>Jobs</h2>
      <ol>
        {jobs.map((job, i) => {
          const active = job.status === 'queued' || job.status === 'running';
          return (
            <li key={job.id} data-status={job.status}>
              <Thumbnail job={job} label={`job ${i + 1}`} />
              <button type="button" className="link" onClick={() => studio.setState({ shownJob: job.id })}>
                Job {i + 1}: {promptStrings(job.settings.prompts).join(' | ') || '(image prompts)'} — seed {job.settings.seed}, {job.status}
              </button>
              <button type="button" aria-label={`${active ? 'Cancel' : 'Dismiss'} job ${i + 1}`} onClick={() => (active ? cancel(job.id) : dismissJob(job.id))}>
                {active ? 'Cancel' : 'Dismiss'}
              </button>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
