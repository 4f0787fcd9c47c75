import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint, readTensorFloat32 } from '../src/checkpoint/index';
import { openFileSource } from '../src/cli/file-source';
import { statePickle, type StorageSpec } from '../test/checkpoint/helpers/torch-writer';
import { ZipStream } from '../test/checkpoint/helpers/zip-writer';
import type { Benchmark } from './run';

const MB = 1e6;
const STORAGES = 30;
const SIDE = 2048;

/** Writes a torch.save-style zip of STORAGES float32 [2048, 2048] tensors (~503 MB), one storage in memory at a time. */
function writeCheckpoint(path: string): void {
  const fd = openSync(path, 'w');
  try {
    const zip = new ZipStream((chunk) => void writeSync(fd, chunk), { align: 64 });
    const specs: StorageSpec[] = Array.from({ length: STORAGES }, (_, i) => ({ key: String(i), cls: 'FloatStorage', bytes: new Uint8Array(0), numel: SIDE * SIDE }));
    const tensors = specs.map((s, i) => ({ name: `blocks.${i}.weight`, storage: s.key, shape: [SIDE, SIDE] }));
    zip.add({ name: 'archive/data.pkl', data: statePickle(tensors, specs) });
    for (let i = 0; i < STORAGES; i++) {
      const values = new Float32Array(SIDE * SIDE);
      for (let k = 0; k < values.length; k++) values[k] = Math.sin(k + i);
      zip.add({ name: `archive/data/${i}`, data: new Uint8Array(values.buffer) });
    }
    zip.add({ name: 'archive/version', data: new TextEncoder().encode('3\n') });
    zip.finish();
  } finally {
    closeSync(fd);
  }
}

/** Opens the file and reads every tensor as float32, keeping them all, as loading weights does. */
async function readAll(path: string): Promise<{ seconds: number; tensors: number; checksum: number }> {
  const start = process.hrtime.bigint();
  const source = await openFileSource(path);
  const kept: Float32Array[] = [];
  try {
    const ck = await openCheckpoint(source);
    for (const t of ck.tensors.values()) kept.push(await readTensorFloat32(t));
  } finally {
    await source.close();
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, tensors: kept.length, checksum: kept.reduce((s, a) => s + a[a.length - 1]!, 0) };
}

const bench: Benchmark = {
  description: 'read a ~500 MB synthetic torch.save checkpoint from a file in Node (all tensors kept as float32)',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-bench-'));
    const path = join(dir, 'synthetic.pt');
    try {
      writeCheckpoint(path);
      const size = statSync(path).size;
      if (typeof globalThis.gc === 'function') globalThis.gc();
      const baseline = process.memoryUsage().rss;
      const { seconds, tensors } = await readAll(path);
      const peak = process.resourceUsage().maxRSS * 1024;
      const rate = size / MB / seconds;
      return {
        figures: {
          file_size: { value: +(size / MB).toFixed(1), unit: 'MB' },
          tensors: { value: tensors, unit: 'tensors' },
          read_time: { value: +seconds.toFixed(3), unit: 's' },
          throughput: { value: Math.round(rate), unit: 'MB/s', target: '>= 500', pass: rate >= 500 },
          rss_before_read: { value: +(baseline / MB).toFixed(1), unit: 'MB' },
          peak_rss: { value: +(peak / MB).toFixed(1), unit: 'MB' },
          peak_rss_over_file_size: { value: +(peak / size).toFixed(3), unit: 'x', target: '<= 1.2', pass: peak / size <= 1.2 },
          peak_above_baseline_over_file_size: { value: +((peak - baseline) / size).toFixed(3), unit: 'x' },
        },
        notes: [
          'The file is read right after being written, so it comes from the OS page cache (no disk latency).',
          'peak_rss is the process maximum resident set (process.resourceUsage().maxRSS), generation included; Node itself accounts for rss_before_read.',
          'No model runs here (reading is one JavaScript thread): backend and threads are those of the MatMul probe, which says whether the machine was quiet.',
        ],
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;
