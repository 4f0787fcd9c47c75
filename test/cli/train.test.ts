import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/train';
import { parseTrainArgs } from '../../src/cli/train-args';
import { memorySource, openCheckpoint } from '../../src/checkpoint/index';
import { encodePng } from '../../src/png/index';
import { createRng } from '../../src/sampling/rng';

let dir: string;
const logs: string[] = [];
const WASM = ['--backend', 'wasm', '--threads', '1'];

/** A noise image: a PNG of w×h. */
function png(w: number, h: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  return encodePng({ width: w, height: h, data: Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 255 : Math.floor(rng.uniform() * 256))) });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'train-'));
  await mkdir(join(dir, 'data', 'sub'), { recursive: true });
  await writeFile(join(dir, 'data', 'a.png'), png(80, 70, 1));
  await writeFile(join(dir, 'data', 'sub', 'b.PNG'), png(64, 96, 2));
  await writeFile(join(dir, 'data', 'notes.txt'), 'not an image');
  await writeFile(join(dir, 'data', 'broken.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
  vi.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(line));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

it("parses train.py's options with argparse's types and refuses what it cannot run", () => {
  const a = parseTrainArgs(['--data_dir', 'd', '--lr=5e-6', '--ema_rate', '0.9999,0.5', '--microbatch', '2', '--image_size', '32', '--learn_sigma', 'True']);
  expect(a.options).toMatchObject({ lr: 5e-6, emaRates: [0.9999, 0.5], microbatch: 2, batchSize: 1, saveInterval: 10000, logInterval: 10 });
  expect(a.flags).toEqual({ image_size: 32, learn_sigma: true });
  expect(() => parseTrainArgs(['--lr', '1'])).toThrow(/--data_dir is required/);
  expect(() => parseTrainArgs(['--data_dir', 'd', '--batch_size', '1.5'])).toThrow(/--batch_size: expected an integer/);
  expect(() => parseTrainArgs(['--data_dir', 'd', '--schedule_sampler', 'loss-second-moment'])).toThrow(/only 'uniform'/);
  expect(() => parseTrainArgs(['--data_dir', 'd', '--ema_rate', '0.9,2'])).toThrow(/'2' is not a rate/);
  expect(() => parseTrainArgs(['--data_dir', 'd', '--dropout_rate', '1'])).toThrow(/unknown argument '--dropout_rate'/);
});

it('fine-tunes the demo UNet on a folder, skipping what is not an image, saving and logging as train.py, then resumes from its files', async () => {
  const out = join(dir, 'run');
  const common = ['--data_dir', join(dir, 'data'), '--batch_size', '2', '--microbatch', '1', '--lr', '1e-3', '--log_interval', '1', '--log_dir', out, ...WASM];
  logs.length = 0;
  expect(await run(['--demo', ...common, '--lr_anneal_steps', '3', '--save_interval', '2', '--ema_rate', '0.9999,0.5'])).toBe(0);
  expect(logs.filter((l) => l.startsWith('note: skipped broken.png: '))).toHaveLength(1);
  expect(logs).toContain('note: skipped notes.txt: not a .jpg, .jpeg, .png or .gif file');
  expect(logs).toContain(`2 training images at 64² from ${join(dir, 'data')}`);
  expect((await readdir(out)).sort()).toEqual([
    'ema_0.5_000000.pt', 'ema_0.5_000002.pt', 'ema_0.9999_000000.pt', 'ema_0.9999_000002.pt', 'log.txt', 'model000000.pt', 'model000002.pt', 'opt000000.pt', 'opt000002.pt', 'progress.csv',
  ]);
  const log = await readFile(join(out, 'log.txt'), 'utf8');
  expect(log.split('\n').slice(0, 5)).toEqual([`Logging to ${out}`, 'Creating model and diffusion...', 'Creating data loader...', 'Starting training...', "starting from the demo pack's UNet (seeded random weights)"]);
  expect(log.match(/^\| samples +\| \d+ +\|$/gm)).toEqual(['| samples | 2        |', '| samples | 4        |', '| samples | 6        |']);
  expect(log.match(/^saving model .*$/gm)).toEqual(Array(2).fill(['saving model 0...', 'saving model 0.9999...', 'saving model 0.5...']).flat());
  const csv = (await readFile(join(out, 'progress.csv'), 'utf8')).trim().split('\n');
  expect(csv).toHaveLength(4);
  expect(csv[0]!.split(',').slice(0, 1)).toEqual(['loss']);
  const model = await openCheckpoint(memorySource(new Uint8Array(await readFile(join(out, 'model000002.pt')))));
  expect([model.format, model.tensors.size, model.tensors.get('out.2.weight')?.shape]).toEqual(['torch', 166, [6, 32, 3, 3]]);

  // Resumed from model000002.pt: its first step is numbered 2 again (upstream's numbering) and saved over model000002.pt, the last
  // as 000004; the optimizer and one EMA come from their files, the new rate's EMA from the parameters.
  logs.length = 0;
  expect(await run([...common, '--resume_checkpoint', join(out, 'model000002.pt'), '--lr_anneal_steps', '4', '--save_interval', '100', '--ema_rate', '0.9999,0.1',
    '--image_size', '64', '--num_channels', '32', '--num_res_blocks', '1', '--channel_mult', '1,2,2', '--attention_resolutions', '16', '--num_heads', '1',
    '--learn_sigma', 'True', '--use_scale_shift_norm', 'False', '--rescale_timesteps', 'True', '--rescale_learned_sigmas', 'True'])).toBe(0);
  const resumed = (await readFile(join(out, 'log.txt'), 'utf8')).split('\n');
  expect(resumed.slice(4, 7)).toEqual([`loading model from checkpoint: ${join(out, 'model000002.pt')}...`, 'loading optimizer state from checkpoint: opt000002.pt', 'loading EMA from checkpoint: ema_0.9999_000002.pt...']);
  expect(logs.filter((l) => l.startsWith('step '))).toHaveLength(2);
  expect((await readdir(out)).filter((f) => f.endsWith('000004.pt')).sort()).toEqual(['ema_0.1_000004.pt', 'ema_0.9999_000004.pt', 'model000004.pt', 'opt000004.pt']);
  expect(resumed.filter((l) => l.startsWith('| step')).map((l) => l.replace(/ +/g, ' '))).toEqual(['| step | 2 |', '| step | 3 |']);
}, 120_000);

it('refuses a set smaller than the batch and a model the training loss does not fit, with the numbers', async () => {
  await expect(run(['--demo', '--data_dir', join(dir, 'data'), '--batch_size', '3', '--log_dir', join(dir, 'small'), ...WASM])).rejects.toThrow('the training set has 2 images, fewer than the batch size 3: add images or lower --batch_size');
  await expect(run(['--data_dir', join(dir, 'data'), '--log_dir', join(dir, 'x'), ...WASM])).rejects.toThrow(/training needs --learn_sigma True/);
  await expect(run(['--demo', '--use_fp16', 'True', '--data_dir', join(dir, 'data'), '--log_dir', join(dir, 'x'), ...WASM])).rejects.toThrow(/fp16 master weights are not implemented/);
});
