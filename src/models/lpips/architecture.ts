import { CheckpointError } from '../../errors';

/**
 * torchvision's VGG16 `features` (cfg 'D') as LPIPS uses it: each entry is a `features` index and
 * what sits there. Convs are 3×3, padding 1, each followed by a ReLU at the next index; the five
 * taps are the ReLUs LPIPS's slices end on (relu1_2 … relu5_3); the pool after the last tap is never
 * run. Widths are not here: they come from the checkpoint.
 */
export const VGG16_FEATURES: readonly ({ readonly conv: number } | { readonly pool: number })[] = [
  { conv: 0 }, { conv: 2 }, { pool: 4 },
  { conv: 5 }, { conv: 7 }, { pool: 9 },
  { conv: 10 }, { conv: 12 }, { conv: 14 }, { pool: 16 },
  { conv: 17 }, { conv: 19 }, { conv: 21 }, { pool: 23 },
  { conv: 24 }, { conv: 26 }, { conv: 28 },
];

/** The `features` index of each tap's ReLU: relu1_2, relu2_2, relu3_3, relu4_3, relu5_3. */
export const TAP_RELUS = [3, 8, 15, 22, 29] as const;
export const TAP_NAMES = ['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3', 'relu5_3'] as const;

/** LPIPS v0.1's ScalingLayer buffers (float32 in torch, as these literals round). */
export const LPIPS_SHIFT = [-0.03, -0.088, -0.188] as const;
export const LPIPS_SCALE = [0.458, 0.448, 0.45] as const;

/** The smallest image the trunk takes: four 2×2 pools leave at least one pixel for relu5_3. */
export const LPIPS_MIN_SIZE = 16;

export const convIndices = (): number[] => VGG16_FEATURES.flatMap((f) => ('conv' in f ? [f.conv] : []));

/** Output channels per conv (by `features` index) and the width of each tap. */
export interface LpipsConfig {
  readonly convWidths: ReadonlyMap<number, number>;
  readonly tapWidths: readonly number[];
}

/**
 * The widths a torchvision VGG16 state dict implies (`features.N.weight` [out, in, 3, 3]), checked
 * as a chain from 3 input channels: a file of another layout is refused, naming the tensor.
 */
export function inferLpipsConfig(shapes: ReadonlyMap<string, readonly number[]>, label: string): LpipsConfig {
  const convWidths = new Map<number, number>();
  let channels = 3;
  for (const index of convIndices()) {
    const name = `features.${index}.weight`;
    const shape = shapes.get(name);
    if (!shape) throw new CheckpointError(`${label}: ${name} is missing: not a torchvision VGG16 state dict (features.0 … features.28)`);
    if (shape.length !== 4 || shape[1] !== channels || shape[2] !== 3 || shape[3] !== 3) {
      throw new CheckpointError(`${label}: ${name} is [${shape.join(', ')}], but VGG16 needs [out, ${channels}, 3, 3] there`);
    }
    convWidths.set(index, shape[0]!);
    channels = shape[0]!;
  }
  const tapWidths = TAP_RELUS.map((relu) => convWidths.get(relu - 1)!);
  return { convWidths, tapWidths };
}
