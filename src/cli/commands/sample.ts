import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePng, encodePng } from '../../png/index';
import { generate, loadModels, type GenerationEvent, type GenerationSettings, type ImagePrompt, type RenderedImage } from '../../pipeline/index';
import { parsePrompt } from '../../sampling/index';
import { fsGraphStore } from '../graph-store';
import { describeNodeBackend, nodeRuntime } from '../../runtime/node';
import { BACKEND_USAGE } from '../backend-args';
import { CLIP_CHOICES, parseSampleArgs, SAMPLING_CHOICES, type SampleArgs } from '../sample-args';
import { DEMO_CLIP_NAMES } from '../../models/demo/index';
import { demoSources, loadSources } from '../sample-models';

export const summary = "CLIP-guided diffusion as clip-diffusion-art's sample.py (DDIM/DDPM, cutouts, TV, SwinIR ×4)";
export const usage = `npm run cli -- sample [prompts…] [options]   (prompts are 'text:weight'; weights are normalised by |Σw|)
models (sample.py reads --checkpoint and --model_config; CLIP and its vocabulary are files here, not downloads):
  --checkpoint F.pt --model_config F.yaml --clip_checkpoint F (OpenAI .pt or HF safetensors) --clip_vocab bpe_simple_vocab_16e6.txt.gz
  --clip_model ViT-B/16 (checked against the file: ${CLIP_CHOICES.join(', ')}) --sr_model_path F.pth [--large_sr]
  several guides (beyond sample.py): --clip_model ViT-B/16,RN50:0.5 --clip_checkpoint ViT-B-16.pt,RN50.pt (one file each, in that order;
  :w multiplies clip_guidance_scale for that model, default 1; each model draws its own cutouts at its own resolution; with --demo: ${DEMO_CLIP_NAMES.join(', ')})
  --lpips_vgg vgg16-397923af.pth --lpips_lin vgg.pth (torchvision's VGG16 and LPIPS's weights/v0.1/vgg.pth: the init image's LPIPS term)   |   --demo (built-in tiny random models;
  with --demo any --sr_model_path value turns on the demo's tiny SwinIR)
sampling: --sampling ddim50 (${SAMPLING_CHOICES.join(', ')}) --diffusion_steps 1000 --skip_timesteps 5 --clip_denoised --eta 0 --seed 47
guidance: --cutn 30 --cutn_batches 4 --skip_augs --loss_fn spherical|cos_spherical --clip_guidance_scale 5000 --tv_scale 100 --range_scale 150
  --saturation_scale 0 --init_scale 1000 --scale_multiplier 50 --disable_grad_clamp --images P[:w] … --init_image F.png
output: --num_samples 1 --batch_size 1 --output_dir output_dir --save_steps (per-step x̂0 images, which sample.py always writes)
engine: ${BACKEND_USAGE}
  --cache_dir .cache/graphs (converted graphs, keyed by checkpoint sha256 + options) --max_cutouts_per_run 10
  --keep_sessions (keep all graphs loaded; native always does; on wasm by default one session at a time, as the art UNet and ViT-B/16 overflow one wasm heap)
Where this departs from sample.py:
  --init_image works (upstream crashes): Lanczos cover-resize, centre crop, q_sample start, and init_scale · LPIPS-VGG(x_in, init) in the
  guidance when --lpips_vgg/--lpips_lin are given (upstream loads both by itself; without them the term is off and a note says so).
  --batch_size is honoured (upstream ignores it): images are sampled one after another, each with its own noise and its own gradient clamp.
  ddim150 is refused with a clear error (no integer stride gives 150 of 1000 steps; upstream raises ValueError).
  Images are PNG files (no URLs); prompt weights may be fractional; a colon not followed by a number is part of the prompt.
  The random streams are ours (spec §13): the same seed gives the same image here, not the Python tool's image.`;

/** strftime('%y%m%d-%H%M%S_%f') in local time, as sample.py names its files. */
function timestamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getFullYear() % 100)}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}_${p(d.getMilliseconds() * 1000, 6)}`;
}

async function readPng(path: string) {
  return decodePng(new Uint8Array(await readFile(path)));
}

async function withImages(a: SampleArgs): Promise<GenerationSettings> {
  const imagePrompts: ImagePrompt[] = [];
  for (const spec of a.files.images) {
    const { text: path, weight } = parsePrompt(spec);
    imagePrompts.push({ image: await readPng(path), weight, label: path });
  }
  return { ...a.settings, imagePrompts, ...(a.files.initImage && { initImage: await readPng(a.files.initImage) }) };
}

const png = (r: RenderedImage) => encodePng({ width: r.image.width, height: r.image.height, data: r.rgba });

function reporter(a: SampleArgs, pending: Promise<unknown>[]) {
  return (e: GenerationEvent) => {
    if (e.type === 'notice') console.log(`note: ${e.message}`);
    else if (e.type === 'upscale') console.log(`sample ${e.sample}.${e.batchIndex}: SwinIR tile ${e.tile}/${e.tiles}`);
    else {
      const eta = ((e.elapsedMs / e.doneSteps) * (e.totalSteps - e.doneSteps)) / 1000;
      const init = e.losses?.init !== undefined ? ` init ${e.losses.init.toFixed(4)}` : '';
      const losses = e.losses ? ` clip ${e.losses.clip.map((l) => l.toFixed(4)).join('/')} tv ${e.losses.tv.toFixed(2)}${init} |g| ${e.losses.gradRms.toExponential(2)}` : '';
      console.log(`sample ${e.sample}.${e.batchIndex} step ${e.step + 1}/${e.steps} t=${e.timestep}${losses} ${(e.stepMs / 1000).toFixed(2)} s/step, ETA ${eta.toFixed(0)} s`);
      if (a.saveSteps && e.preview) {
        const dir = join(a.outputDir, `sample${e.sample}_output${e.batchIndex}_steps`);
        pending.push(mkdir(dir, { recursive: true }).then(() => writeFile(join(dir, `output${e.batchIndex}_step${e.step}.png`), png(e.preview!))));
      }
    }
  };
}

export async function run(args: readonly string[]): Promise<number> {
  const a = parseSampleArgs(args);
  const settings = await withImages(a);
  const loaded = a.demo ? demoSources(a.files) : await loadSources(a.files);
  for (const note of loaded.notes) console.log(`note: ${note}`);
  const runtime = nodeRuntime(a.backend);
  console.log(`backend: ${describeNodeBackend(runtime.backend)}`);
  const models = loadModels(runtime, loaded.sources, {
    // Native memory is not capped at 4 GiB, and a kept session runs warm from the second step on.
    maxCutoutsPerRun: a.maxCutoutsPerRun, oneSessionAtATime: !a.keepSessions && runtime.backend.ep !== 'cpu', ...(loaded.originOf && { graphBytes: fsGraphStore(a.cacheDir, loaded.originOf, (line) => console.log(line)) }),
  });
  const pending: Promise<unknown>[] = [];
  try {
    const images = await generate(settings, models, { onProgress: reporter(a, pending), previewEvery: a.saveSteps ? 1 : 5 });
    await mkdir(a.outputDir, { recursive: true });
    for (const image of images) {
      const name = settings.batchSize > 1 ? `image${image.sample}_${image.batchIndex}_${timestamp()}.png` : `image${image.sample}_${timestamp()}.png`;
      await writeFile(join(a.outputDir, name), png(image.sr ?? image));
      console.log(`wrote ${join(a.outputDir, name)} (${(image.sr ?? image).image.width}²)`);
    }
    await Promise.all(pending);
  } finally {
    await models.dispose();
  }
  return 0;
}
