import {
  hfClipSource, openCheckpoint, readHfClipAsOpenAI, readTensor, readTensorFloat32, type ByteSource, type Checkpoint,
} from '../../checkpoint/index';
import { compareArrays, exact, guardMany, shapeMismatches } from './results';
import type { CheckResult, GroupContext } from './types';
import { isCheckpointFile } from './checkpoint-files';

interface ClipConfig {
  readonly embed_dim: number;
  readonly image_resolution: number;
  readonly vision_layers: number;
  readonly vision_width: number;
  readonly vision_patch_size: number;
  readonly context_length: number;
  readonly vocab_size: number;
  readonly transformer_width: number;
  readonly transformer_layers: number;
}

/** The TorchScript extras `clip.load(jit=True)` reads and `build_model()` deletes. */
const JIT_SCALARS = ['input_resolution', 'context_length', 'vocab_size'] as const;

function expectedShapes(c: ClipConfig): Record<string, number[]> {
  const grid = c.image_resolution / c.vision_patch_size;
  return {
    positional_embedding: [c.context_length, c.transformer_width],
    'token_embedding.weight': [c.vocab_size, c.transformer_width],
    text_projection: [c.transformer_width, c.embed_dim],
    'visual.conv1.weight': [c.vision_width, 3, c.vision_patch_size, c.vision_patch_size],
    'visual.positional_embedding': [grid * grid + 1, c.vision_width],
    'visual.proj': [c.vision_width, c.embed_dim],
    [`transformer.resblocks.${c.transformer_layers - 1}.ln_1.weight`]: [c.transformer_width],
    [`visual.transformer.resblocks.${c.vision_layers - 1}.ln_1.weight`]: [c.vision_width],
  };
}

const layerCount = (ck: Checkpoint, prefix: string): number =>
  new Set([...ck.tensors.keys()].flatMap((k) => (k.startsWith(prefix) ? [k.slice(prefix.length).split('.')[0]] : []))).size;

/** Every tensor of `ref` (float32 state dict) against what `read` gives for the same name. */
async function crossCheck(group: string, name: string, ref: Checkpoint, read: (key: string) => Promise<{ data: Float32Array; shape: readonly number[] }>): Promise<CheckResult> {
  let maxAbs = 0;
  let maxRel = 0;
  const bad: string[] = [];
  for (const [key, t] of ref.tensors) {
    const other = await read(key).catch(() => undefined);
    const diff = other && other.shape.join() === t.shape.join() ? compareArrays(other.data, await readTensorFloat32(t)) : { maxAbs: Infinity, maxRel: Infinity };
    if (diff.maxAbs !== 0) bad.push(key);
    maxAbs = Math.max(maxAbs, diff.maxAbs);
    maxRel = Math.max(maxRel, diff.maxRel);
  }
  return { group, name, maxAbs, maxRel, tolerance: 0, on: 'abs', pass: maxAbs === 0, detail: bad.length ? `differ: ${bad.slice(0, 5).join(', ')}` : `${ref.tensors.size} tensors bit-equal` };
}

async function jitChecks(group: string, sd: Checkpoint, jit: Checkpoint, c: ClipConfig): Promise<CheckResult[]> {
  const values = { input_resolution: c.image_resolution, context_length: c.context_length, vocab_size: c.vocab_size };
  let scalarError = 0;
  for (const key of JIT_SCALARS) {
    const t = jit.tensors.get(key);
    const v = t?.dtype === 'I64' ? Number((await readTensor(t))[0]) : NaN;
    scalarError = Math.max(scalarError, Number.isNaN(v) ? Infinity : Math.abs(v - values[key]));
  }
  const extra = [...jit.tensors.keys()].filter((k) => !sd.tensors.has(k) && !(JIT_SCALARS as readonly string[]).includes(k));
  return [
    await crossCheck(group, 'state dict .pt = TorchScript (fp16 -> f32)', sd, async (k) => {
      const t = jit.tensors.get(k);
      return { data: t ? await readTensorFloat32(t) : new Float32Array(0), shape: t?.shape ?? [] };
    }),
    exact(group, 'TorchScript keys = state dict keys + int64 scalars', extra.length, extra.length ? extra.slice(0, 5).join(', ') : undefined),
    exact(group, 'TorchScript input_resolution/context_length/vocab_size = config', scalarError),
  ];
}

async function checkAll(ctx: GroupContext, opened: Map<string, Checkpoint>): Promise<CheckResult[]> {
  const group = ctx.manifest.group;
  const c = ctx.manifest.settings.clip_config as ClipConfig;
  const byFormat = (f: string) => [...opened.values()].find((ck) => ck.format === f);
  const [sd, jit, hf] = [byFormat('torch'), byFormat('torchscript'), byFormat('safetensors')];
  if (!sd) return [exact(group, 'float32 state dict present', Infinity, 'no torch state-dict file among the manifest files')];
  const shapes = shapeMismatches(new Map([...sd.tensors].map(([k, t]) => [k, t.shape])), expectedShapes(c));
  const layers = Math.abs(layerCount(sd, 'transformer.resblocks.') - c.transformer_layers) + Math.abs(layerCount(sd, 'visual.transformer.resblocks.') - c.vision_layers);
  const results = [
    exact(group, 'state dict shapes = settings.clip_config', shapes.count, shapes.detail || undefined),
    exact(group, 'state dict layer counts = settings.clip_config', layers),
  ];
  if (jit) results.push(...(await jitChecks(group, sd, jit, c)));
  if (hf) {
    results.push(await crossCheck(group, 'state dict .pt = HF safetensors (name mapping)', sd, (k) => readHfClipAsOpenAI(hf.tensors, k)));
    const used = new Set([...sd.tensors.keys()].flatMap((k) => {
      const s = hfClipSource(k);
      return !s ? [] : s.op === 'concat' ? s.names : [s.name];
    }));
    const unused = [...hf.tensors.keys()].filter((k) => !used.has(k) && !k.endsWith('position_ids'));
    results.push(exact(group, 'HF safetensors has no unmapped tensors', unused.length, unused.length ? unused.slice(0, 5).join(', ') : undefined));
  }
  return results;
}

/** Opens every checkpoint file at once (sources stay open while tensors are compared). */
async function withAll<T>(ctx: GroupContext, files: string[], work: (opened: Map<string, Checkpoint>) => Promise<T>, opened = new Map<string, Checkpoint>()): Promise<T> {
  const [file, ...rest] = files;
  if (file === undefined) return work(opened);
  return ctx.dir.withSource(ctx.path(file), async (source: ByteSource) => withAll(ctx, rest, work, opened.set(file, await openCheckpoint(source))));
}

/** The three CLIP files hold the same weights; shapes and TorchScript scalars match `settings.clip_config`. */
export async function* clipWeights(ctx: GroupContext): AsyncIterable<CheckResult> {
  const files = Object.keys(ctx.manifest.files).filter(isCheckpointFile);
  yield* await guardMany(ctx.manifest.group, 'CLIP checkpoints agree', () => withAll(ctx, files, (opened) => checkAll(ctx, opened)));
}
