import { openCheckpoint, readTensor, readTensorFloat32, type Checkpoint } from '../../checkpoint/index';
import { exact, guardMany, shapeMismatches } from './results';
import type { CheckResult, GroupContext } from './types';
import { fileForConfig } from './unet-weights';

interface SwinirConfig {
  readonly in_chans: number;
  readonly img_size: number;
  readonly window_size: number;
  readonly embed_dim: number;
  readonly depths: readonly number[];
  readonly num_heads: readonly number[];
}

const block = (i: number, j: number): string => `layers.${i}.residual_group.blocks.${j}.`;

function expectedShapes(c: SwinirConfig): Record<string, number[]> {
  const w = c.window_size;
  const windows = (c.img_size / w) ** 2;
  const shapes: Record<string, number[]> = { 'conv_first.weight': [c.embed_dim, c.in_chans, 3, 3] };
  c.depths.forEach((depth, i) => {
    for (let j = 0; j < depth; j++) {
      shapes[`${block(i, j)}attn.relative_position_bias_table`] = [(2 * w - 1) ** 2, c.num_heads[i]!];
      shapes[`${block(i, j)}attn.relative_position_index`] = [w * w, w * w];
      // Odd blocks use shifted windows, and SwinIR registers their mask as a buffer.
      if (j % 2 === 1) shapes[`${block(i, j)}attn_mask`] = [windows, w * w, w * w];
    }
  });
  return shapes;
}

/** Swin's relative position index, computed independently of the file: (dy + w-1)(2w-1) + (dx + w-1). */
function relativePositionIndex(w: number): number[] {
  const out: number[] = [];
  for (let a = 0; a < w * w; a++) {
    for (let b = 0; b < w * w; b++) {
      out.push((Math.floor(a / w) - Math.floor(b / w) + w - 1) * (2 * w - 1) + ((a % w) - (b % w) + w - 1));
    }
  }
  return out;
}

async function contentErrors(ck: Checkpoint, c: SwinirConfig): Promise<{ index: number; mask: number }> {
  const expected = relativePositionIndex(c.window_size);
  let index = 0;
  let mask = 0;
  for (const [name, t] of ck.tensors) {
    if (name.endsWith('attn.relative_position_index') && t.dtype === 'I64') {
      const got = await readTensor(t);
      index += expected.filter((v, k) => BigInt(v) !== got[k]).length;
    } else if (name.endsWith('attn_mask')) {
      mask += (await readTensorFloat32(t)).filter((v) => v !== 0 && v !== -100).length;
    }
  }
  return { index, mask };
}

async function checkConfig(ctx: GroupContext, name: string, c: SwinirConfig): Promise<CheckResult[]> {
  const group = ctx.manifest.group;
  const file = fileForConfig(ctx.manifest.files, name);
  if (!file) return [exact(group, `${name}: checkpoint file`, Infinity, `no file named *_${name}.pth in the manifest`)];
  return ctx.dir.withSource(ctx.path(file), async (source) => {
    const ck = await openCheckpoint(source);
    const wrapped = ctx.manifest.files[file]?.includes('params_ema') ?? false;
    const shapes = shapeMismatches(new Map([...ck.tensors].map(([k, t]) => [k, t.shape])), expectedShapes(c));
    const layers = new Set([...ck.tensors.keys()].flatMap((k) => /^layers\.(\d+)\./.exec(k)?.[1] ?? [])).size;
    const { index, mask } = await contentErrors(ck, c);
    return [
      exact(group, `${file}: state dict under params_ema`, wrapped && ck.unwrapped[0] !== 'params_ema' ? 1 : 0, `unwrapped: ${ck.unwrapped.join(' > ') || 'nothing'}`),
      exact(group, `${file}: shapes implied by the config`, shapes.count, shapes.detail || undefined),
      exact(group, `${file}: layer count = len(depths)`, Math.abs(layers - c.depths.length), `${layers} vs ${c.depths.length}`),
      exact(group, `${file}: relative_position_index = Swin formula`, index),
      exact(group, `${file}: attn_mask values in {0, -100}`, mask),
    ];
  });
}

/** SwinIR checkpoints agree with `settings.configs`: wrapper, shapes, layer counts and the buffers' contents. */
export async function* swinirWeights(ctx: GroupContext): AsyncIterable<CheckResult> {
  const configs = (ctx.manifest.settings.configs ?? {}) as Record<string, SwinirConfig>;
  for (const [name, config] of Object.entries(configs)) {
    yield* await guardMany(ctx.manifest.group, `${name}: checkpoint matches config`, () => checkConfig(ctx, name, config));
  }
}
