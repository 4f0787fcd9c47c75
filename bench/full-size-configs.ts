import type { ClipArchitecture } from '../src/models/clip/index';
import type { SwinIRConfig } from '../src/models/swinir/index';

/** ViT-B/16 as build_model infers it from OpenAI's ViT-B-16.pt. */
export const VIT_B16: ClipArchitecture = {
  embedDim: 512, imageResolution: 224, visionLayers: 12, visionWidth: 768, visionPatchSize: 16, visionHeads: 12,
  contextLength: 77, vocabSize: 49408, textWidth: 512, textHeads: 8, textLayers: 12, activation: 'quick_gelu', layerNormEps: 1e-5,
};

/** RN50 and RN50x4 as build_model infers them from OpenAI's RN50.pt and RN50x4.pt (the text towers as theirs; the image benches read only the image tower). */
export const RN50: ClipArchitecture = {
  ...VIT_B16, embedDim: 1024, imageResolution: 224, visionLayers: 16, visionWidth: 64, visionPatchSize: 32, visionHeads: 32, visionResNetLayers: [3, 4, 6, 3],
};
export const RN50X4: ClipArchitecture = {
  ...VIT_B16, embedDim: 640, imageResolution: 288, visionLayers: 26, visionWidth: 80, visionPatchSize: 32, visionHeads: 40, visionResNetLayers: [4, 6, 10, 6], textWidth: 640, textHeads: 10,
};

/** SwinIR-M as define_model builds it for real_sr (seed spec §10.2): 11.7 M parameters. */
export const SWINIR_M: SwinIRConfig = {
  inChans: 3,
  embedDim: 180,
  depths: [6, 6, 6, 6, 6, 6],
  numHeads: [6, 6, 6, 6, 6, 6],
  windowSize: 8,
  mlpHidden: 360,
  shifted: Array.from({ length: 6 }, () => Array.from({ length: 6 }, (_, j) => j % 2 === 1)),
  resiConnection: '1conv',
  numFeat: 64,
  upscale: 4,
};
