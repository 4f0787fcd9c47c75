import { formatBytes, waitingText, type ModelEntry, type ModelStatus } from '../../../cache';
import { downloadSize } from '../../first-run';
import type { ModelProgress } from '../../../../workers/model-service';

const PHASES = { rehashing: 'Checking the stored part', downloading: 'Downloading', verifying: 'Verifying', done: 'Converting' } as const;

/** 'huggingface.co' of a URL, for short lists. */
export const hostOf = (url: string): string => /^https?:\/\/([^/]+)/i.exec(url)?.[1] ?? url;

/** "42 s", "3 min 5 s": a download's time left. */
export const seconds = (s: number): string => (s < 60 ? `${Math.ceil(s)} s` : `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`);

/** "Downloading x.pt: 1.20 MB of 2.91 MB (41%), 3.2 MB/s, 1 s left"; "x.pt: waiting, downloading in another tab…". */
export function progressText(p: ModelProgress): string {
  if (p.phase === 'waiting') return `${p.fileName}: ${waitingText(p.waitingFor)}`;
  const of = p.totalBytes !== undefined ? ` of ${formatBytes(p.totalBytes)}` : '';
  const pct = p.fraction !== undefined ? ` (${Math.floor(p.fraction * 100)}%)` : '';
  const speed = p.bytesPerSecond > 0 ? `, ${formatBytes(p.bytesPerSecond)}/s` : '';
  const eta = p.etaSeconds !== undefined && p.phase === 'downloading' ? `, ${seconds(p.etaSeconds)} left` : '';
  const from = p.source !== undefined ? ` from ${hostOf(p.source)}` : '';
  const skipped = p.skipped?.length ? ` (passed over: ${p.skipped.map((s) => `${hostOf(s.url)}: ${s.reason}`).join('; ')})` : '';
  return `${PHASES[p.phase]} ${p.fileName}${from}: ${formatBytes(p.bytesDone)}${of}${pct}${speed}${eta}${skipped}`;
}

/** "2 files, 2.21 GB"; "3 files, 352 MB and 1 of unpublished size": what a model weighs (its first sources' sizes), before its file list. */
export function sizeText(model: ModelEntry): string {
  const { bytes, unknownFiles } = downloadSize([model]);
  const count = `${model.files.length} file${model.files.length === 1 ? '' : 's'}`;
  if (unknownFiles === model.files.length) return `${count}, size not published`;
  return `${count}, ${formatBytes(bytes)}${unknownFiles > 0 ? ` and ${unknownFiles} of unpublished size` : ''}`;
}

export function statusText(status: ModelStatus | undefined): string {
  if (!status || status.state === 'absent') return 'Not downloaded';
  if (status.state === 'verified') {
    const kept = status.storedBytes < status.bytesDone ? `${formatBytes(status.storedBytes)} kept of ${formatBytes(status.bytesDone)}` : formatBytes(status.bytesDone);
    return `Cached and verified (${kept})`;
  }
  const of = status.totalBytes !== undefined ? ` of ${formatBytes(status.totalBytes)}` : '';
  return `Partly downloaded: ${formatBytes(status.bytesDone)}${of} (resumes)`;
}
