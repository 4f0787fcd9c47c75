import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { run, usage } from '../../src/cli/commands/sample';
import { decodePng, encodePng } from '../../src/png/index';
import { describeWithFixtures, fixturePath } from '../fixtures';

const MODELS = [
  '--checkpoint', fixturePath('unet', 'unet_A.pt'), '--model_config', fixturePath('unet', 'unet_A.yaml'),
  '--clip_checkpoint', fixturePath('clip', 'clip_jit.pt'), '--clip_vocab', fixturePath('clip', 'bpe_simple_vocab_16e6.txt.gz'),
  '--sr_model_path', fixturePath('swinir', 'swinir_M.pth'),
];
/** ddim25 with 22 skipped: 3 steps at t = 80, 40, 0; 2 cutouts in one batch; on wasm, as unit tests run (the browser's runtime). */
const FAST = ['--sampling', 'ddim25', '--skip_timesteps', '22', '--cutn', '2', '--cutn_batches', '1', '--backend', 'wasm', '--threads', '1'];

let dir: string;
const logs: string[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sample-'));
  vi.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(line));
});
afterAll(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

it('samples with the demo pack guided by its ViT and its ResNet at once (--demo --clip_model demo-vit,demo-rn:0.5)', async () => {
  const out = join(dir, 'demo-guides');
  logs.length = 0;
  expect(await run(['a lighthouse', '--demo', '--clip_model', 'demo-vit,demo-rn:0.5', ...FAST, '--cutn_batches', '2', '--output_dir', out])).toBe(0);
  const steps = logs.filter((l) => / step \d+\/3 /.test(l));
  expect(steps).toHaveLength(3);
  // Two cutn batches for each of the two guides.
  for (const line of steps) expect(line).toMatch(/ clip (-?\d+\.\d{4}\/){3}-?\d+\.\d{4} /);
  const [name] = await readdir(out);
  const image = decodePng(new Uint8Array(await readFile(join(out, name!))));
  expect([image.width, image.height]).toEqual([64, 64]);
}, 120_000);

describeWithFixtures('cli sample on the fixture models (UNet A 32², tiny CLIP, SwinIR M)', () => {

  it('writes the SwinIR image, the per-step images and the graph cache; a second run reuses the cache and gives the same image', async () => {
    const out = join(dir, 'out');
    const args = ['a lighthouse:2', 'fog:-0.5', ...MODELS, ...FAST, '--save_steps', '--output_dir', out, '--cache_dir', join(dir, 'cache')];
    expect(await run(args)).toBe(0);
    const names = (await readdir(out)).sort();
    expect(names.filter((n) => /^image0_\d{6}-\d{6}_\d{6}\.png$/.test(n))).toHaveLength(1);
    const image = decodePng(new Uint8Array(await readFile(join(out, names.find((n) => n.startsWith('image0_'))!))));
    expect([image.width, image.height]).toEqual([128, 128]);
    const steps = (await readdir(join(out, 'sample0_output0_steps'))).sort();
    expect(steps).toEqual(['output0_step0.png', 'output0_step1.png', 'output0_step2.png']);
    expect(decodePng(new Uint8Array(await readFile(join(out, 'sample0_output0_steps', steps[2]!)))).width).toBe(32);
    expect((await readdir(join(dir, 'cache'))).filter((n) => n.endsWith('.onnx')).length).toBe(4);
    expect(logs.filter((l) => l.startsWith('converted'))).toHaveLength(4);

    logs.length = 0;
    const again = join(dir, 'again');
    expect(await run([...args.slice(0, -4), '--output_dir', again, '--cache_dir', join(dir, 'cache')])).toBe(0);
    expect(logs.filter((l) => l.startsWith('converted'))).toHaveLength(0);
    const second = (await readdir(again)).find((n) => n.startsWith('image0_'))!;
    expect(decodePng(new Uint8Array(await readFile(join(again, second)))).data).toEqual(image.data);
  }, 180_000);

  it('honours --batch_size with one file per image, and refuses ddim150 and zero-sum weights clearly', async () => {
    const out = join(dir, 'batch');
    expect(await run(['a lighthouse', ...MODELS.slice(0, 8), ...FAST, '--keep_sessions', '--batch_size', '2', '--output_dir', out, '--cache_dir', join(dir, 'cache')])).toBe(0);
    expect((await readdir(out)).map((n) => n.replace(/_\d{6}-.*/, '')).sort()).toEqual(['image0_0', 'image0_1']);
    await expect(run(['x', ...MODELS, '--sampling', 'ddim150'])).rejects.toThrow(/ddim150.*no integer stride/);
    await expect(run(['x:1', 'y:-1', ...MODELS, ...FAST])).rejects.toThrow(/sum/);
    await expect(run(['x', '--demo', '--bogus'])).rejects.toThrow(/unknown option --bogus/);
    expect(usage).toMatch(/init_image works/);
    expect(usage).toMatch(/batch_size is honoured/);
    expect(usage).toMatch(/ddim150 is refused/);
  }, 180_000);

  it('runs the init image\'s LPIPS term with --lpips_vgg/--lpips_lin (fixture VGG16 and linear weights), and says it is off without them', async () => {
    const init = join(dir, 'init.png');
    const data = new Uint8Array(40 * 40 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7) % 256));
    await writeFile(init, encodePng({ width: 40, height: 40, data }));
    const LPIPS = ['--lpips_vgg', fixturePath('lpips', 'vgg16_small_legacy.pth'), '--lpips_lin', fixturePath('lpips', 'lin_small_legacy.pth')];
    const common = ['a lighthouse', ...MODELS.slice(0, 8), ...FAST, '--keep_sessions', '--init_image', init, '--cache_dir', join(dir, 'cache')];
    const image = async (out: string) => decodePng(new Uint8Array(await readFile(join(out, (await readdir(out)).find((n) => n.startsWith('image0_'))!)))).data;

    logs.length = 0;
    expect(await run([...common, ...LPIPS, '--output_dir', join(dir, 'init')])).toBe(0);
    const steps = logs.filter((l) => / step \d+\/3 /.test(l));
    expect(steps).toHaveLength(3);
    for (const line of steps) expect(Number(/ init (\d+\.\d+) /.exec(line)?.[1])).toBeGreaterThan(0);
    expect(logs.filter((l) => l.includes('LPIPS init loss'))).toEqual([]);

    logs.length = 0;
    expect(await run([...common, ...LPIPS, '--init_scale', '0', '--output_dir', join(dir, 'scale0')])).toBe(0);
    expect(logs.filter((l) => / init \d/.test(l))).toEqual([]);
    expect(await image(join(dir, 'init'))).not.toEqual(await image(join(dir, 'scale0')));

    logs.length = 0;
    expect(await run([...common, '--output_dir', join(dir, 'nolpips')])).toBe(0);
    expect(logs).toContainEqual(expect.stringMatching(/^note: init image: the LPIPS init loss \(init_scale\) is off: LPIPS-VGG .* is not loaded/));
    expect(await image(join(dir, 'nolpips'))).toEqual(await image(join(dir, 'scale0')));
    await expect(run([...common, LPIPS[0]!, LPIPS[1]!])).rejects.toThrow(/--lpips_vgg and --lpips_lin go together/);
  }, 180_000);

  it('guides with two CLIP files (--clip_model A,B:w, one --clip_checkpoint each): a second guide of weight 0 changes nothing, and its graphs are the first one\'s', async () => {
    const clip = fixturePath('clip', 'clip_jit.pt');
    const common = ['a lighthouse', ...MODELS.slice(0, 4), '--clip_vocab', MODELS[7]!, ...FAST, '--keep_sessions', '--cache_dir', join(dir, 'guides-cache')];
    const image = async (out: string) => decodePng(new Uint8Array(await readFile(join(out, (await readdir(out)).find((n) => n.startsWith('image0_'))!)))).data;
    expect(await run([...common, '--clip_checkpoint', clip, '--output_dir', join(dir, 'one')])).toBe(0);
    logs.length = 0;
    expect(await run([...common, '--clip_model', 'ViT-B/16,ViT-B/32:0', '--clip_checkpoint', `${clip},${clip}`, '--output_dir', join(dir, 'two')])).toBe(0);
    expect(await image(join(dir, 'two'))).toEqual(await image(join(dir, 'one')));
    expect(logs.filter((l) => l.startsWith('converted'))).toEqual([]);
    expect(logs.filter((l) => l.startsWith('note: --clip_model ViT-B/32:'))).toHaveLength(1);
    expect(logs.filter((l) => / step \d+\/3 /.test(l)).every((l) => /clip -?\d+\.\d+\/-?\d+\.\d+ /.test(l))).toBe(true);
    logs.length = 0;
    expect(await run([...common, '--clip_model', 'ViT-B/16,ViT-B/32:3', '--clip_checkpoint', `${clip},${clip}`, '--output_dir', join(dir, 'weighted')])).toBe(0);
    expect(await image(join(dir, 'weighted'))).not.toEqual(await image(join(dir, 'one')));
  }, 180_000);
});
