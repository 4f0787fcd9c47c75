import { EngineError } from '../../errors';
import { DEFAULT_FLAGS, type PyValue, type UnetFlags } from './flags';

/** A UNetModel as `create_model` builds it, every flag resolved (seed-spec §11.3). */
export interface UnetConfig {
  readonly imageSize: number;
  readonly inChannels: number;
  readonly modelChannels: number;
  /** 6 with learn_sigma (ε and the variance interpolation v), else 3. */
  readonly outChannels: number;
  readonly numResBlocks: number;
  /** Downsample factors ds (image_size // resolution) at which attention follows each ResBlock. */
  readonly attentionDs: readonly number[];
  readonly channelMult: readonly number[];
  readonly numHeads: number;
  /** −1: heads = numHeads; otherwise heads = channels / numHeadChannels. */
  readonly numHeadChannels: number;
  readonly numHeadsUpsample: number;
  readonly useScaleShiftNorm: boolean;
  readonly resblockUpdown: boolean;
  /** QKVAttention (split q, k, v first) instead of QKVAttentionLegacy (split heads first). */
  readonly useNewAttentionOrder: boolean;
  /** 1000 (guided-diffusion's NUM_CLASSES) with class_cond, else null. */
  readonly numClasses: number | null;
  /** Inert at inference (eval mode); kept to document the checkpoint. */
  readonly dropout: number;
  /** Upstream runs the torso in fp16; here it selects fp16 weight storage (arithmetic stays fp32). */
  readonly useFp16: boolean;
  readonly convResample: boolean;
}

/** GroupNorm32: `normalization(channels)` is GroupNorm(32, channels). */
export const GROUPS = 32;

/** `create_model`'s channel_mult table for `channel_mult: ""`. */
const CHANNEL_MULT_TABLE: Readonly<Record<number, readonly number[]>> = {
  512: [0.5, 1, 1, 2, 2, 4, 4],
  256: [1, 1, 2, 2, 4, 4],
  128: [1, 1, 2, 3, 4],
  64: [1, 2, 3, 4],
};

/** Python truthiness: yaml can hand over strings such as "True," (the art config's typo), which upstream uses as they are. */
export const truthy = (v: PyValue): boolean => (typeof v === 'string' ? v.length > 0 : typeof v === 'number' ? v !== 0 : v === true);

function integer(flags: UnetFlags, key: string): number {
  const v = flags[key];
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new EngineError(`${key}: expected an integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Python's int() of one comma-separated item: surrounding whitespace is allowed, nothing else. */
function pyInt(key: string, item: string): number {
  if (!/^\s*[-+]?\d+\s*$/.test(item)) throw new EngineError(`${key}: invalid literal for int(): '${item}'`);
  return Number(item.trim());
}

function commaList(flags: UnetFlags, key: string): number[] {
  const v = flags[key];
  if (typeof v !== 'string') throw new EngineError(`${key}: expected a comma-separated string such as "1,2,2", got ${JSON.stringify(v)}`);
  return v.split(',').map((item) => pyInt(key, item));
}

function channelMult(flags: UnetFlags, imageSize: number): number[] {
  if (flags.channel_mult === '') {
    const table = CHANNEL_MULT_TABLE[imageSize];
    if (!table) throw new EngineError(`channel_mult "": unsupported image size: ${imageSize} (the default table covers 64, 128, 256, 512)`);
    return [...table];
  }
  return commaList(flags, 'channel_mult');
}

function checkKeys(flags: UnetFlags): void {
  const unknown = Object.keys(flags).filter((k) => !Object.hasOwn(DEFAULT_FLAGS, k));
  if (unknown.length > 0) throw new EngineError(`unexpected configuration key '${unknown[0]}' (create_model_and_diffusion takes no such argument)`);
  if (truthy(flags.use_neighborhood_attention ?? false)) throw new EngineError('use_neighborhood_attention is not supported (none of the known checkpoints uses it)');
}

/** Every level width must split into GroupNorm's 32 groups and every attention width into its heads. */
function validate(c: UnetConfig): void {
  const widths = c.channelMult.map((m) => Math.trunc(m * c.modelChannels));
  const bad = widths.find((w) => w < GROUPS || w % GROUPS !== 0);
  if (bad !== undefined) throw new EngineError(`num_channels ${c.modelChannels} × channel_mult [${c.channelMult.join(', ')}] gives width ${bad}, which GroupNorm's ${GROUPS} groups do not divide`);
  // The input and middle paths use num_heads, the output path num_heads_upsample (UNetModel.__init__).
  const attended = widths.filter((_, level) => c.attentionDs.includes(2 ** level));
  const pairs = [...attended.flatMap((w) => [[w, c.numHeads], [w, c.numHeadsUpsample]]), [widths[widths.length - 1]!, c.numHeads]];
  for (const [w, heads] of pairs as [number, number][]) {
    const ok = c.numHeadChannels === -1 ? heads > 0 && w % heads === 0 : c.numHeadChannels > 0 && w % c.numHeadChannels === 0;
    if (!ok) throw new EngineError(`attention at width ${w}: ${c.numHeadChannels === -1 ? `num_heads ${heads}` : `num_head_channels ${c.numHeadChannels}`} does not divide it`);
  }
}

/**
 * Resolves flags as `create_model_and_diffusion(**{**model_and_diffusion_defaults(), **flags})`
 * would: defaults under the given flags, the channel_mult table, attention resolutions as
 * downsample factors, heads for the output path, class count and output channels.
 */
export function resolveConfig(flags: UnetFlags): UnetConfig {
  checkKeys(flags);
  const f: UnetFlags = { ...DEFAULT_FLAGS, ...flags };
  const imageSize = integer(f, 'image_size');
  const numHeads = integer(f, 'num_heads');
  const numHeadsUpsample = integer(f, 'num_heads_upsample');
  const config: UnetConfig = {
    imageSize,
    inChannels: 3,
    modelChannels: integer(f, 'num_channels'),
    outChannels: truthy(f.learn_sigma!) ? 6 : 3,
    numResBlocks: integer(f, 'num_res_blocks'),
    attentionDs: commaList(f, 'attention_resolutions').map((r) => Math.floor(imageSize / r)),
    channelMult: channelMult(f, imageSize),
    numHeads,
    numHeadChannels: integer(f, 'num_head_channels'),
    numHeadsUpsample: numHeadsUpsample === -1 ? numHeads : numHeadsUpsample,
    useScaleShiftNorm: truthy(f.use_scale_shift_norm!),
    resblockUpdown: truthy(f.resblock_updown!),
    useNewAttentionOrder: truthy(f.use_new_attention_order!),
    numClasses: truthy(f.class_cond!) ? 1000 : null,
    dropout: Number(f.dropout),
    useFp16: truthy(f.use_fp16!),
    convResample: truthy(f.conv_resample!),
  };
  validate(config);
  return config;
}

/** Width of level `level` (int(mult · model_channels), as upstream truncates 0.5 · 128). */
export const levelWidth = (c: UnetConfig, level: number): number => Math.trunc(c.channelMult[level]! * c.modelChannels);

/** Heads of an attention block of `channels` channels on the input/middle path or the output path. */
export function attentionHeads(c: UnetConfig, channels: number, upsample: boolean): number {
  return c.numHeadChannels === -1 ? (upsample ? c.numHeadsUpsample : c.numHeads) : channels / c.numHeadChannels;
}
