import { useStudio } from '../../store';

const MESSAGES = { idle: 'Ready', done: 'Done', cancelled: 'Cancelled', error: 'Failed' } as const;

export function Progress() {
  const { step, total } = useStudio((s) => s.progress);
  const status = useStudio((s) => s.status);
  const error = useStudio((s) => s.error);
  return (
    <section className="progress" aria-live="polite">
      <progress aria-label="Generation progress" max={total || 1} value={step} />
      <span>{status === 'running' ? `Step ${step} of ${total}` : MESSAGES[status]}</span>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
