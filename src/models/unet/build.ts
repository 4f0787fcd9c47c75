import { ShapeError } from '../../errors';
import { add, concat, gather, silu, type Graph, type Tensor } from '../../graph';
import type { WeightSource } from '../weights';
import { attentionBlock, conv, downsample, linearParam, norm, resBlock, timestepEmbedding, upsample, type BlockContext, type Params } from './blocks';
import { attentionHeads, levelWidth, type UnetConfig } from './config';

/** The UNet's graph inputs: x [B, 3, H, W] float32, t [B] float32 (as fed to UNetModel.forward), y [B] int64 when class-conditional. */
export interface UnetInputs {
  readonly x: Tensor;
  readonly t: Tensor;
  readonly y?: Tensor;
}

/**
 * The model output [B, outChannels, H, W] and every recorded intermediate, by name:
 * `timestep_embedding`, `emb` (time_embed output), `label_emb` and `emb_total` (class-conditional),
 * `input_blocks.<i>`, `middle_block`, `output_blocks.<i>` (each block's output).
 */
export interface UnetValues {
  readonly out: Tensor;
  readonly taps: ReadonlyMap<string, Tensor>;
}

/** emb = time_embed(timestep_embedding(t)) [+ label_emb(y)]: Linear → SiLU → Linear (keys time_embed.0/.2). */
function embedding(ctx: Params, config: UnetConfig, inputs: UnetInputs, taps: Map<string, Tensor>): Tensor {
  const te = timestepEmbedding(inputs.t, config.modelChannels);
  const dim = 4 * config.modelChannels;
  const emb = linearParam(ctx, 'time_embed.2', silu(linearParam(ctx, 'time_embed.0', te, dim)), dim);
  taps.set('timestep_embedding', te).set('emb', emb);
  if (config.numClasses === null) return emb;
  if (!inputs.y) throw new ShapeError('the UNet is class-conditional (class_cond): it needs a y input of class labels');
  const label = gather(ctx.weights.param(ctx.graph, 'label_emb.weight', [config.numClasses, dim]), inputs.y, 0);
  const total = add(emb, label);
  taps.set('label_emb', label).set('emb_total', total);
  return total;
}

/** input_blocks: the first conv, then per level numResBlocks × (ResBlock [+ attention]) and a downsample except at the last level. */
function inputPath(ctx: BlockContext, config: UnetConfig, x: Tensor, taps: Map<string, Tensor>): Tensor[] {
  let h = conv(ctx, 'input_blocks.0.0', x, levelWidth(config, 0), 3);
  const stack = [h];
  const record = () => {
    taps.set(`input_blocks.${stack.length}`, h);
    stack.push(h);
  };
  taps.set('input_blocks.0', h);
  config.channelMult.forEach((_, level) => {
    const ds = 2 ** level;
    for (let i = 0; i < config.numResBlocks; i++) {
      const name = `input_blocks.${stack.length}`;
      h = resBlock(ctx, `${name}.0`, h, levelWidth(config, level));
      if (config.attentionDs.includes(ds)) h = attentionBlock(ctx, `${name}.1`, h, attentionHeads(config, h.shape[1]!, false));
      record();
    }
    if (level === config.channelMult.length - 1) return;
    const name = `input_blocks.${stack.length}.0`;
    h = config.resblockUpdown ? resBlock(ctx, name, h, h.shape[1]!, 'down') : downsample(ctx, name, h, config.convResample);
    record();
  });
  return stack;
}

/** middle_block: ResBlock, AttentionBlock, ResBlock at the last level's width. */
function middle(ctx: BlockContext, config: UnetConfig, h: Tensor): Tensor {
  const c = h.shape[1]!;
  const a = attentionBlock(ctx, 'middle_block.1', resBlock(ctx, 'middle_block.0', h, c), attentionHeads(config, c, false));
  return resBlock(ctx, 'middle_block.2', a, c);
}

/** output_blocks: per level (deepest first) numResBlocks + 1 × (concat skip, ResBlock [+ attention]), an upsample after the last except at level 0. */
function outputPath(ctx: BlockContext, config: UnetConfig, h0: Tensor, stack: Tensor[], taps: Map<string, Tensor>): Tensor {
  let h = h0;
  let index = 0;
  for (let level = config.channelMult.length - 1; level >= 0; level--) {
    const ds = 2 ** level;
    for (let i = 0; i <= config.numResBlocks; i++) {
      const name = `output_blocks.${index}`;
      h = resBlock(ctx, `${name}.0`, concat([h, stack.pop()!], 1), levelWidth(config, level));
      let j = 1;
      if (config.attentionDs.includes(ds)) h = attentionBlock(ctx, `${name}.${j++}`, h, attentionHeads(config, h.shape[1]!, true));
      if (level > 0 && i === config.numResBlocks) {
        h = config.resblockUpdown ? resBlock(ctx, `${name}.${j}`, h, h.shape[1]!, 'up') : upsample(ctx, `${name}.${j}`, h, config.convResample);
      }
      taps.set(name, h);
      index++;
    }
  }
  return h;
}

/**
 * UNetModel.forward(x, t[, y]) of guided-diffusion (and improved-diffusion, same names) on the
 * given graph inputs, parameters named as in the checkpoint's state dict (seed-spec §11.3).
 */
export function unetForward(graph: Graph, config: UnetConfig, weights: WeightSource, inputs: UnetInputs): UnetValues {
  const [, c, height, width] = inputs.x.shape as [number, number, number, number];
  const factor = 2 ** (config.channelMult.length - 1);
  if (c !== config.inChannels || height % factor !== 0 || width % factor !== 0) {
    throw new ShapeError(`UNet input [.., ${c}, ${height}, ${width}]: needs ${config.inChannels} channels and sides divisible by ${factor} (${config.channelMult.length} levels)`);
  }
  const taps = new Map<string, Tensor>();
  const base = { graph, weights, useScaleShiftNorm: config.useScaleShiftNorm, useNewAttentionOrder: config.useNewAttentionOrder };
  const ctx: BlockContext = { ...base, embSilu: silu(embedding(base, config, inputs, taps)) };
  const stack = inputPath(ctx, config, inputs.x, taps);
  const mid = middle(ctx, config, stack[stack.length - 1]!);
  taps.set('middle_block', mid);
  const h = outputPath(ctx, config, mid, stack, taps);
  const out = conv(ctx, 'out.2', silu(norm(ctx, 'out.0', h)), config.outChannels, 3);
  return { out, taps };
}
