import { CheckpointError } from '../../errors';

export type ResiConnection = '1conv' | '3conv';

/**
 * The SwinIR architecture a real-SR checkpoint implies (network_swinir.py, upsampler
 * 'nearest+conv', seed spec §10.2). img_range is 1.0 and rgb_mean fixed: neither is in the state dict.
 */
export interface SwinIRConfig {
  readonly inChans: number;
  readonly embedDim: number;
  /** Swin blocks per RSTB stage. */
  readonly depths: readonly number[];
  readonly numHeads: readonly number[];
  readonly windowSize: number;
  readonly mlpHidden: number;
  /** Per stage and block: whether the block attends in shifted windows (it then owns an attn_mask buffer). */
  readonly shifted: readonly (readonly boolean[])[];
  readonly resiConnection: ResiConnection;
  /** Channels of the reconstruction convs (SwinIR's num_feat, 64). */
  readonly numFeat: number;
  /** Always 4: 'nearest+conv' asserts upscale == 4. */
  readonly upscale: 4;
}

/** rgb_mean of SwinIR.__init__ for 3-channel models; subtracted before conv_first and added back at the end. */
export const RGB_MEAN = [0.4488, 0.4371, 0.4040] as const;

type Shapes = ReadonlyMap<string, readonly number[]>;

function shapeOf(shapes: Shapes, name: string): readonly number[] {
  const shape = shapes.get(name);
  if (!shape) throw new CheckpointError(`SwinIR checkpoint has no tensor '${name}'`);
  return shape;
}

/** SwinIR.forward's branches, told apart by the modules each one registers. */
function upsamplerOf(shapes: Shapes): string {
  if (shapes.has('conv_up1.weight') && shapes.has('conv_hr.weight')) return 'nearest+conv';
  if (shapes.has('upsample.0.weight')) return shapes.has('conv_before_upsample.0.weight') ? 'pixelshuffle' : 'pixelshuffledirect';
  return shapes.has('conv_last.weight') ? 'none (denoising / JPEG artifact reduction)' : 'unknown';
}

function resiConnectionOf(shapes: Shapes): ResiConnection {
  if (shapes.has('conv_after_body.weight')) return '1conv';
  if (shapes.has('conv_after_body.0.weight') && shapes.has('conv_after_body.4.weight')) return '3conv';
  throw new CheckpointError("SwinIR checkpoint has neither 'conv_after_body.weight' (1conv) nor 'conv_after_body.0/2/4.weight' (3conv)");
}

/** Counts the indices i for which `prefix{i}.` names some tensor. */
function countIndexed(shapes: Shapes, prefix: string): number {
  let n = 0;
  while ([...shapes.keys()].some((k) => k.startsWith(`${prefix}${n}.`))) n++;
  return n;
}

export const blockPrefix = (i: number, j: number): string => `layers.${i}.residual_group.blocks.${j}.`;

interface Stages {
  depths: number[];
  numHeads: number[];
  shifted: boolean[][];
}

function stagesOf(shapes: Shapes): Stages {
  const layers = countIndexed(shapes, 'layers.');
  if (layers === 0) throw new CheckpointError("SwinIR checkpoint has no 'layers.0.*' tensors (RSTB stages)");
  const depths = Array.from({ length: layers }, (_, i) => countIndexed(shapes, `layers.${i}.residual_group.blocks.`));
  const numHeads = depths.map((_, i) => shapeOf(shapes, `${blockPrefix(i, 0)}attn.relative_position_bias_table`)[1]!);
  const shifted = depths.map((depth, i) => Array.from({ length: depth }, (_, j) => shapes.has(`${blockPrefix(i, j)}attn_mask`)));
  return { depths, numHeads, shifted };
}

/** (2ws − 1)² rows of relative_position_bias_table give the window size. */
function windowSizeOf(shapes: Shapes): number {
  const rows = shapeOf(shapes, `${blockPrefix(0, 0)}attn.relative_position_bias_table`)[0]!;
  const side = Math.round(Math.sqrt(rows));
  if (side * side !== rows || side % 2 !== 1) throw new CheckpointError(`relative_position_bias_table has ${rows} rows, not (2·ws − 1)²`);
  return (side + 1) / 2;
}

/**
 * Reads the architecture from tensor names and shapes. `largeSr` is the seed's --large_sr: when
 * given it must agree with the file (define_model builds SwinIR-L with '3conv', SwinIR-M with
 * '1conv', and loads strictly, so a mismatched file fails upstream too).
 */
export function inferSwinIRConfig(shapes: Shapes, largeSr?: boolean): SwinIRConfig {
  const upsampler = upsamplerOf(shapes);
  if (upsampler !== 'nearest+conv') {
    throw new CheckpointError(`SwinIR upsampler '${upsampler}' is not supported: only the real-world ×4 SR models (upsampler 'nearest+conv', task real_sr) that clip-diffusion-art uses`);
  }
  const resiConnection = resiConnectionOf(shapes);
  if (largeSr !== undefined && (resiConnection === '3conv') !== largeSr) {
    const expected = largeSr ? "SwinIR-L ('3conv')" : "SwinIR-M ('1conv')";
    throw new CheckpointError(`${largeSr ? 'with' : 'without'} --large_sr a ${expected} checkpoint is expected, but this file has resi_connection '${resiConnection}'`);
  }
  const [embedDim, inChans] = shapeOf(shapes, 'conv_first.weight');
  if (inChans !== 3) throw new CheckpointError(`conv_first.weight takes ${inChans} input channels; the real-SR models take RGB (3)`);
  return {
    inChans,
    embedDim: embedDim!,
    ...stagesOf(shapes),
    windowSize: windowSizeOf(shapes),
    mlpHidden: shapeOf(shapes, `${blockPrefix(0, 0)}mlp.fc1.weight`)[0]!,
    resiConnection,
    numFeat: shapeOf(shapes, 'conv_before_upsample.0.weight')[0]!,
    upscale: 4,
  };
}

