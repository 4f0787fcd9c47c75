import { numel, openCheckpoint } from '../../checkpoint/index';
import { exact, guardMany, shapeMismatches } from './results';
import type { CheckResult, GroupContext } from './types';

interface UnetConfig {
  readonly n_params: number;
  readonly state_dict_keys: number;
  readonly channel_mult_used: readonly number[];
  readonly num_classes: number | null;
  readonly full_create_model_and_diffusion_kwargs: { readonly num_channels: number; readonly learn_sigma: boolean };
}

/** The checkpoint of config `name`: the file whose stem ends in `_<name>` (unet_A.pt for A). */
export function fileForConfig(files: Readonly<Record<string, string>>, name: string): string | undefined {
  return Object.keys(files).find((f) => /\.(pt|pth)$/.test(f) && f.replace(/\.[^.]+$/, '').endsWith(`_${name}`));
}

/** Shapes the config pins: the time embedding, the first and last convs and the class table. */
function expectedShapes(c: UnetConfig): Record<string, number[]> {
  const mc = c.full_create_model_and_diffusion_kwargs.num_channels;
  const ch = mc * c.channel_mult_used[0]!;
  const shapes: Record<string, number[]> = {
    'time_embed.0.weight': [4 * mc, mc],
    'input_blocks.0.0.weight': [ch, 3, 3, 3],
    'out.2.weight': [c.full_create_model_and_diffusion_kwargs.learn_sigma ? 6 : 3, ch, 3, 3],
  };
  if (c.num_classes) shapes['label_emb.weight'] = [c.num_classes, 4 * mc];
  return shapes;
}

async function checkConfig(ctx: GroupContext, name: string, c: UnetConfig): Promise<CheckResult[]> {
  const group = ctx.manifest.group;
  const file = fileForConfig(ctx.manifest.files, name);
  if (!file) return [exact(group, `${name}: checkpoint file`, Infinity, `no file named *_${name}.pt in the manifest`)];
  return ctx.dir.withSource(ctx.path(file), async (source) => {
    const ck = await openCheckpoint(source);
    const params = [...ck.tensors.values()].reduce((n, t) => n + numel(t.shape), 0);
    const shapes = shapeMismatches(new Map([...ck.tensors].map(([k, t]) => [k, t.shape])), expectedShapes(c));
    return [
      exact(group, `${file}: parameter count = settings n_params`, Math.abs(params - c.n_params), `${params} vs ${c.n_params}`),
      exact(group, `${file}: state dict keys = settings`, Math.abs(ck.tensors.size - c.state_dict_keys), `${ck.tensors.size} vs ${c.state_dict_keys}`),
      exact(group, `${file}: shapes implied by the config`, shapes.count, shapes.detail || undefined),
    ];
  });
}

/** UNet checkpoints agree with the parameter counts, key counts and shapes `settings.configs` records. */
export async function* unetWeights(ctx: GroupContext): AsyncIterable<CheckResult> {
  const configs = (ctx.manifest.settings.configs ?? {}) as Record<string, UnetConfig>;
  for (const [name, config] of Object.entries(configs)) {
    yield* await guardMany(ctx.manifest.group, `${name}: checkpoint matches config`, () => checkConfig(ctx, name, config));
  }
}
