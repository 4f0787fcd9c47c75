import { EngineError } from '../../errors';
import type { UnetFlags } from './flags';
import { parseModelConfigYaml } from './yaml';

export interface UnetPreset {
  /** The released checkpoint file this preset describes. */
  readonly checkpoint: string;
  readonly description: string;
  /** The flags as the upstream tool receives them (yaml model_config or README command line). */
  readonly flags: UnetFlags;
  /** The state dict's size, to recognise the file: parameters and tensors. */
  readonly parameters: number;
  readonly tensors: number;
}

/**
 * clip-diffusion-art's `configs/256x256_clip_diffusion_art.yaml` (seed-spec §11.2), its quirks kept:
 * the stray comma makes `use_fp16` the string "True," (truthy), and two keys are commented out.
 */
export const CLIP_DIFFUSION_ART_YAML = `model_config:
  'attention_resolutions': '16'
  'class_cond': False
  'rescale_timesteps': True
  'rescale_learned_sigmas': True
  'image_size': 256
  'learn_sigma': True
  'noise_schedule': 'linear'
  'num_channels': 128
  # 'num_head_channels': 64,
  'num_heads': 1
  'num_res_blocks': 2
  # 'resblock_updown': True
  'use_checkpoint': False
  'use_fp16': True,
  'use_scale_shift_norm': False
`;

/** The three known checkpoints (seed-spec §11.2, §11.5, §11.6), by preset name. */
export const UNET_PRESETS: Readonly<Record<string, UnetPreset>> = {
  '256x256_clip_diffusion_art': {
    checkpoint: '256x256_clip_diffusion_art.pt',
    description: "clip-diffusion-art's model: improved-diffusion's LSUN-bedroom architecture fine-tuned on artworks",
    flags: parseModelConfigYaml(CLIP_DIFFUSION_ART_YAML),
    parameters: 113_676_678,
    tensors: 426,
  },
  lsun_uncond_100M_1200K_bs128: {
    checkpoint: 'lsun_uncond_100M_1200K_bs128.pt',
    description: 'improved-diffusion LSUN bedroom model (lr=1e-4), README flags',
    flags: {
      image_size: 256, num_channels: 128, num_res_blocks: 2, num_heads: 1, learn_sigma: true, use_scale_shift_norm: false, attention_resolutions: '16',
      diffusion_steps: 1000, noise_schedule: 'linear', rescale_learned_sigmas: false, rescale_timesteps: false,
    },
    parameters: 113_676_678,
    tensors: 426,
  },
  '256x256_diffusion_uncond': {
    checkpoint: '256x256_diffusion_uncond.pt',
    description: "OpenAI guided-diffusion's unconditional 256×256 ImageNet model, README flags",
    flags: {
      attention_resolutions: '32,16,8', class_cond: false, diffusion_steps: 1000, image_size: 256, learn_sigma: true, noise_schedule: 'linear',
      num_channels: 256, num_head_channels: 64, num_res_blocks: 2, resblock_updown: true, use_fp16: true, use_scale_shift_norm: true,
    },
    parameters: 552_814_086,
    tensors: 566,
  },
};

export function unetPreset(name: string): UnetPreset {
  const preset = UNET_PRESETS[name];
  if (!preset) throw new EngineError(`unknown UNet preset '${name}' (known: ${Object.keys(UNET_PRESETS).join(', ')})`);
  return preset;
}

