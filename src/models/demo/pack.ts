import type { ClipArchitecture, ClipTokenizer, LoadedClip } from '../clip/index';
import { createClipTokenizer } from '../clip/index';
import { convIndices, lpipsParameterShapes, type LpipsConfig, type LpipsModel } from '../lpips/index';
import type { SwinIRConfig, SwinIRModel } from '../swinir/index';
import { expectedShapes } from '../swinir/index';
import { resolveConfig, unetParameterShapes, type UnetConfig } from '../unet/index';
import { ArrayWeights } from '../weights';
import { seededArrays } from './seeded';
import { demoVocabularyGz } from './vocabulary';

/** What the UI shows next to demo results: the weights are random, the images are noise-like patterns. */
export const DEMO_LABEL = 'Tiny networks with random (seeded) weights, not trained. They show the pipeline working offline; the images do not depict the prompt.';

/** A 64-px UNet with the art model's layout in miniature (learned sigma, linear schedule, rescaled timesteps). */
export const DEMO_UNET_FLAGS = {
  image_size: 64, num_channels: 32, num_res_blocks: 1, channel_mult: '1,2,2', attention_resolutions: '16', num_heads: 1,
  learn_sigma: true, class_cond: false, use_scale_shift_norm: false, use_fp16: false, noise_schedule: 'linear', rescale_timesteps: true, rescale_learned_sigmas: true,
};

/** A ViT CLIP at 64 px with 16-px patches, width 64 (one head, as build_model infers heads = width // 64), two layers per tower. */
export const DEMO_CLIP: ClipArchitecture = {
  embedDim: 32, imageResolution: 64, visionLayers: 2, visionWidth: 64, visionPatchSize: 16, visionHeads: 1,
  contextLength: 77, vocabSize: 49408, textWidth: 64, textHeads: 1, textLayers: 2, activation: 'quick_gelu', layerNormEps: 1e-5,
};

/**
 * A ModifiedResNet CLIP (RN50's layout with one block per stage, width 8) at 96 px, the demo's
 * padded image size: a second guide with cutouts of its own size. Same text tower as the ViT, so
 * the demo vocabulary serves both.
 */
export const DEMO_CLIP_RN: ClipArchitecture = {
  ...DEMO_CLIP, imageResolution: 96, visionLayers: 4, visionWidth: 8, visionPatchSize: 32, visionHeads: 4, visionResNetLayers: [1, 1, 1, 1],
};

/** The demo's CLIP models by the name the CLI's --clip_model and the studio's picker give them. */
export const DEMO_CLIPS = {
  'demo-vit': { architecture: DEMO_CLIP, seed: 2, label: 'Demo ViT (tiny)' },
  'demo-rn': { architecture: DEMO_CLIP_RN, seed: 5, label: 'Demo ResNet (tiny)' },
} as const;
export type DemoClipName = keyof typeof DEMO_CLIPS;
export const DEMO_CLIP_NAMES = Object.keys(DEMO_CLIPS) as DemoClipName[];

/**
 * SwinIR real-SR in the fixtures' M miniature (two stages of two blocks, width 24, 1conv), with 16
 * upsampler features instead of 64: its convolutions at 4× size were most of a demo upscale's time
 * (about 85 of 90 s on SwiftShader's software WebGPU).
 */
const DEMO_SWINIR: SwinIRConfig = {
  inChans: 3, embedDim: 24, depths: [2, 2], numHeads: [2, 2], windowSize: 8, mlpHidden: 48, shifted: [[false, true], [false, true]], resiConnection: '1conv', numFeat: 16, upscale: 4,
};

/** LPIPS-VGG in miniature: VGG16's layout at widths 4 … 8, so the demo runs the init image's term. */
const DEMO_LPIPS_WIDTHS = [4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8];
const DEMO_LPIPS: LpipsConfig = { convWidths: new Map(convIndices().map((index, i) => [index, DEMO_LPIPS_WIDTHS[i]!])), tapWidths: [4, 8, 8, 8, 8] };

/** Seeded like the others; the linear weights non-negative, as LPIPS's trained ones are, so the term pulls towards the init image. */
function demoLpips(): LpipsModel {
  const shapes = lpipsParameterShapes(DEMO_LPIPS);
  const arrays = seededArrays([...shapes.trunk, ...shapes.lin], 4);
  for (const name of shapes.lin.keys()) arrays.get(name)!.data.forEach((v, i, data) => (data[i] = Math.abs(v)));
  return { config: DEMO_LPIPS, weights: new ArrayWeights(arrays, 'demo LPIPS') };
}

const BLOCK: readonly [string, (w: number) => number[]][] = [
  ['attn.in_proj_weight', (w) => [3 * w, w]], ['attn.in_proj_bias', (w) => [3 * w]], ['attn.out_proj.weight', (w) => [w, w]], ['attn.out_proj.bias', (w) => [w]],
  ['ln_1.weight', (w) => [w]], ['ln_1.bias', (w) => [w]], ['mlp.c_fc.weight', (w) => [4 * w, w]], ['mlp.c_fc.bias', (w) => [4 * w]],
  ['mlp.c_proj.weight', (w) => [w, 4 * w]], ['mlp.c_proj.bias', (w) => [w]], ['ln_2.weight', (w) => [w]], ['ln_2.bias', (w) => [w]],
];

/** The state dict names and shapes build_model reads for a ViT CLIP (logit_scale omitted: unused). */
export function clipShapes(a: ClipArchitecture): [string, number[]][] {
  const [v, t] = [a.visionWidth, a.textWidth];
  const grid = a.imageResolution / a.visionPatchSize;
  const tower = (prefix: string, layers: number, w: number) => Array.from({ length: layers }, (_, i) => BLOCK.map(([n, s]): [string, number[]] => [`${prefix}${i}.${n}`, s(w)])).flat();
  const vit = (): [string, number[]][] => [
    ['visual.conv1.weight', [v, 3, a.visionPatchSize, a.visionPatchSize]], ['visual.class_embedding', [v]], ['visual.positional_embedding', [grid * grid + 1, v]],
    ['visual.ln_pre.weight', [v]], ['visual.ln_pre.bias', [v]], ['visual.ln_post.weight', [v]], ['visual.ln_post.bias', [v]], ['visual.proj', [v, a.embedDim]],
    ...tower('visual.transformer.resblocks.', a.visionLayers, v),
  ];
  return [
    ['token_embedding.weight', [a.vocabSize, t]], ['positional_embedding', [a.contextLength, t]], ['ln_final.weight', [t]], ['ln_final.bias', [t]], ['text_projection', [t, a.embedDim]],
    ...tower('transformer.resblocks.', a.textLayers, t),
    ...(a.visionResNetLayers ? resNetShapes(a, a.visionResNetLayers) : vit()),
  ];
}

/** A ModifiedResNet tower's tensors as loadClip leaves them (each BatchNorm folded into its conv's weight and bias). */
function resNetShapes(a: ClipArchitecture, stages: readonly number[]): [string, number[]][] {
  const w = a.visionWidth;
  const convs: [string, number[]][] = [['visual.conv1', [w / 2, 3, 3, 3]], ['visual.conv2', [w / 2, w / 2, 3, 3]], ['visual.conv3', [w, w / 2, 3, 3]]];
  let inplanes = w;
  stages.forEach((blocks, s) => {
    const planes = w * 2 ** s;
    for (let b = 0; b < blocks; b++) {
      const prefix = `visual.layer${s + 1}.${b}.`;
      convs.push([`${prefix}conv1`, [planes, inplanes, 1, 1]], [`${prefix}conv2`, [planes, planes, 3, 3]], [`${prefix}conv3`, [planes * 4, planes, 1, 1]]);
      if (b === 0) convs.push([`${prefix}downsample.0`, [planes * 4, inplanes, 1, 1]]);
      inplanes = planes * 4;
    }
  });
  const c = w * 32;
  const grid = a.imageResolution / 32;
  const projections = ['q_proj', 'k_proj', 'v_proj'].flatMap((l): [string, number[]][] => [[`visual.attnpool.${l}.weight`, [c, c]], [`visual.attnpool.${l}.bias`, [c]]]);
  return [
    ...convs.flatMap(([name, shape]): [string, number[]][] => [[`${name}.weight`, shape], [`${name}.bias`, [shape[0]!]]]),
    ['visual.attnpool.positional_embedding', [grid * grid + 1, c]], ...projections,
    ['visual.attnpool.c_proj.weight', [a.embedDim, c]], ['visual.attnpool.c_proj.bias', [a.embedDim]],
  ];
}

export interface DemoPack {
  readonly label: string;
  readonly unet: { readonly config: UnetConfig; readonly weights: ArrayWeights };
  /** The guides asked for, in order (the ViT alone by default). */
  readonly clips: readonly LoadedClip[];
  readonly tokenizer: ClipTokenizer;
  /** Only the M variant: the demo has no L model. */
  readonly swinir: { readonly M: SwinIRModel };
  /** Made when the init term first runs, as a real LPIPS is read then. */
  readonly lpips: () => Promise<LpipsModel>;
}

/** The demo UNet's seeded parameters for a configuration (the demo's own, or one that training changes). */
export const demoUnetArrays = (config: UnetConfig) => seededArrays(unetParameterShapes(config), 1);

/** A demo CLIP by name, with its seeded weights. */
export function demoClip(name: DemoClipName): LoadedClip {
  const { architecture, seed } = DEMO_CLIPS[name];
  return { architecture, weights: seededArrays(clipShapes(architecture), seed) };
}

/**
 * The built-in demo models (pure, deterministic, about a second): a 64-px UNet, tiny CLIPs (the
 * ViT, and a ResNet to guide beside or instead of it) with a synthetic vocabulary, a tiny SwinIR and
 * a tiny LPIPS-VGG, all with seeded random weights. The result plugs into the pipeline's
 * ModelSources as it is.
 */
export function buildDemoPack(guides: readonly DemoClipName[] = ['demo-vit']): DemoPack {
  const config = resolveConfig(DEMO_UNET_FLAGS);
  const unet = new ArrayWeights(demoUnetArrays(config), 'demo UNet');
  const swinir: SwinIRModel = { config: DEMO_SWINIR, weights: new ArrayWeights(seededArrays(expectedShapes(DEMO_SWINIR), 3), 'demo SwinIR') };
  return { label: DEMO_LABEL, unet: { config, weights: unet }, clips: guides.map(demoClip), tokenizer: createClipTokenizer(demoVocabularyGz()), swinir: { M: swinir }, lpips: () => Promise.resolve(demoLpips()) };
}

/** Settings that keep the demo to seconds on wasm (fewer steps and cutouts than sample.py's defaults). */
export const DEMO_SETTINGS = { sampling: 'ddim25', skipTimesteps: 5, cutn: 8, cutnBatches: 1 } as const;
