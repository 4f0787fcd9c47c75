import { describe, expect, it } from 'vitest';
import {
  CLIP_DIFFUSION_ART_YAML, flagsFromArgs, parseModelConfigYaml, parseYaml, resolveConfig, UNET_PRESETS, unetParameterShapes,
} from '../../../src/models/unet';
import { checkStateDict } from '../../../src/models/weights';

const paramCount = (shapes: ReadonlyMap<string, readonly number[]>) => [...shapes.values()].reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);

describe('clip-diffusion-art yaml', () => {
  it('reads the art config with its quirks: "True," stays a string, quoted keys, commented-out keys', () => {
    const flags = parseModelConfigYaml(CLIP_DIFFUSION_ART_YAML);
    expect(flags.use_fp16).toBe('True,');
    expect(flags.attention_resolutions).toBe('16');
    expect(flags.image_size).toBe(256);
    expect(flags.class_cond).toBe(false);
    expect(flags).not.toHaveProperty('num_head_channels');
    expect(flags).not.toHaveProperty('resblock_updown');
    expect(resolveConfig(flags).useFp16).toBe(true);
  });

  it('resolves scalars as PyYAML: booleans, null, ints, floats, quoted escapes, empty string', () => {
    const doc = parseYaml(`a:\n  'b': yes\n  "c": ~\n  d: 1_000\n  e: 0.5\n  f: 'it''s'\n  g: "x\\ty" # comment\n  h: ''\n  i: 12abc\ntop: 3\n`);
    expect(doc).toEqual({ a: { b: true, c: null, d: 1000, e: 0.5, f: "it's", g: 'x\ty', h: '', i: '12abc' }, top: 3 });
  });

  it('refuses what it does not understand, with the line', () => {
    expect(() => parseYaml('model_config:\n  a: [1, 2]\n')).toThrow(/line 2: only plain or quoted scalars/);
    expect(() => parseYaml('model_config:\n  a: 1\n    b: 2\n')).toThrow(/line 3: nested mappings/);
    expect(() => parseModelConfigYaml('other: 1\n')).toThrow(/no 'model_config'/);
  });
});

describe('configuration', () => {
  it('applies the default channel_mult table for channel_mult "" and parses attention resolutions as downsample factors', () => {
    const c = resolveConfig({ image_size: 64, num_channels: 32, channel_mult: '', attention_resolutions: '16, 8', num_heads: 2 });
    expect(c.channelMult).toEqual([1, 2, 3, 4]);
    expect(c.attentionDs).toEqual([4, 8]);
    expect(resolveConfig({ image_size: 512, num_channels: 128, channel_mult: '' }).channelMult).toEqual([0.5, 1, 1, 2, 2, 4, 4]);
    expect(() => resolveConfig({ image_size: 96, channel_mult: '' })).toThrow(/unsupported image size: 96/);
  });

  it('resolves heads, classes, output channels and the upsample heads fallback', () => {
    const c = resolveConfig({ image_size: 64, num_channels: 64, class_cond: true, learn_sigma: true, num_heads: 4, num_heads_upsample: -1 });
    expect([c.numClasses, c.outChannels, c.numHeadsUpsample]).toEqual([1000, 6, 4]);
    expect(resolveConfig({ image_size: 64, num_channels: 64 }).outChannels).toBe(3);
  });

  it('refuses widths GroupNorm32 cannot split, heads that do not divide, unknown keys', () => {
    expect(() => resolveConfig({ image_size: 64, num_channels: 16 })).toThrow(/width 16, which GroupNorm's 32 groups do not divide/);
    expect(() => resolveConfig({ image_size: 64, num_channels: 32, num_head_channels: 24 })).toThrow(/num_head_channels 24 does not divide/);
    expect(() => resolveConfig({ image_size: 64, num_chanels: 32 })).toThrow(/unexpected configuration key 'num_chanels'/);
    expect(() => resolveConfig({ image_size: 64, channel_mult: '1,x' })).toThrow(/invalid literal for int\(\): 'x'/);
  });

  it('reads command-line flags as guided-diffusion scripts do and leaves other arguments alone', () => {
    const { flags, rest } = flagsFromArgs(['--num_channels', '128', '--use_fp16', 'True', '--class_cond=no', '--out', 'dir', '--attention_resolutions', '32,16,8']);
    expect(flags).toEqual({ num_channels: 128, use_fp16: true, class_cond: false, attention_resolutions: '32,16,8' });
    expect(rest).toEqual(['--out', 'dir']);
    expect(() => flagsFromArgs(['--use_fp16', 'maybe'])).toThrow(/boolean value expected/);
    expect(() => flagsFromArgs(['--num_channels', '12.5'])).toThrow(/expected an integer/);
  });
});

describe('presets of the three known checkpoints', () => {
  it.each(Object.entries(UNET_PRESETS))('%s has the released parameter count', (_, preset) => {
    const shapes = unetParameterShapes(resolveConfig(preset.flags));
    expect(paramCount(shapes)).toBe(preset.parameters);
    expect(shapes.size).toBe(preset.tensors);
  });

  it('the art model is the spec\'s 113 676 678-parameter, 426-tensor UNet with attention at 16×16 only', () => {
    const shapes = unetParameterShapes(resolveConfig(UNET_PRESETS['256x256_clip_diffusion_art']!.flags));
    expect(paramCount(shapes)).toBe(113_676_678);
    expect(shapes.get('input_blocks.13.1.qkv.weight')).toEqual([1536, 512, 1]);
    expect(shapes.get('input_blocks.15.0.op.weight')).toEqual([512, 512, 3, 3]);
    expect(shapes.get('output_blocks.5.2.conv.weight')).toEqual([512, 512, 3, 3]);
    expect(shapes.has('input_blocks.10.1.qkv.weight')).toBe(false);
  });
});

describe('state dict check', () => {
  const config = resolveConfig({ image_size: 32, num_channels: 32, channel_mult: '1,2', attention_resolutions: '16', num_res_blocks: 1 });
  const expected = unetParameterShapes(config);

  it('names the first tensor that does not fit, with both shapes', () => {
    const actual = new Map([...expected].map(([k, s]) => [k, { shape: k === 'input_blocks.1.0.in_layers.2.weight' ? [64, 32, 3, 3] : s }]));
    expect(() => checkStateDict(expected, actual, 'x.pt')).toThrow('x.pt: tensor input_blocks.1.0.in_layers.2.weight is [64, 32, 3, 3] in the checkpoint but [32, 32, 3, 3] in the configuration');
  });

  it('names a missing tensor and a tensor the configuration does not use', () => {
    const missing = new Map([...expected].filter(([k]) => k !== 'out.2.bias').map(([k, s]) => [k, { shape: s }]));
    expect(() => checkStateDict(expected, missing, 'x.pt')).toThrow(/needs tensor out\.2\.bias \[3\], which the checkpoint lacks/);
    const extra = new Map([...expected].map(([k, s]) => [k, { shape: s }])).set('label_emb.weight', { shape: [1000, 128] });
    expect(() => checkStateDict(expected, extra, 'x.pt')).toThrow(/has tensor label_emb\.weight \[1000, 128\], which the configuration does not use/);
  });
});
