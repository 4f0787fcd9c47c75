/**
 * Peak resident memory of the process while `work` runs, sampled every 25 ms, in MiB. (maxRSS would
 * cover the whole process lifetime, earlier work included.)
 */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 25);
  try {
    const result = await work();
    return { result, peakMiB: Math.round(Math.max(peak, process.memoryUsage().rss) / 2 ** 20) };
  } finally {
    clearInterval(timer);
  }
}
