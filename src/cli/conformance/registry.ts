import { checkpointFiles } from './checkpoint-files';
import { clipModel } from './clip-model';
import { clipRnModel } from './clip-rn-model';
import { cutoutsModel } from './cutouts-model';
import { clipWeights } from './clip-weights';
import { guidanceWithE2e } from './guidance-e2e';
import { lpipsModel } from './lpips-model';
import { lpipsWeights } from './lpips-weights';
import { diffusionModel } from './diffusion-model';
import { swinirModel } from './swinir-model';
import { swinirWeights } from './swinir-weights';
import type { CheckSuite } from './types';
import { unetModel } from './unet-model';
import { trainModel } from './train-model';
import { unetWeights } from './unet-weights';

/** Runs for every manifest: its checkpoint files and reference tensors read. */
export const COMMON_SUITES: readonly CheckSuite[] = [checkpointFiles];

/** Per group: what the checkpoint files must contain according to the manifest's settings. */
export const WEIGHT_SUITES: Readonly<Record<string, CheckSuite>> = { unet: unetWeights, clip: clipWeights, swinir: swinirWeights, lpips: lpipsWeights };

/**
 * Per group: the model checks (outputs against the reference tensors). Each issue that implements a
 * model registers its suite here.
 */
export const MODEL_SUITES: Readonly<Record<string, CheckSuite>> = {
  clip: clipModel, clip_rn: clipRnModel, cutouts: cutoutsModel, diffusion: diffusionModel, guidance: guidanceWithE2e, lpips: lpipsModel, swinir: swinirModel,
  train: trainModel, unet: unetModel,
};
