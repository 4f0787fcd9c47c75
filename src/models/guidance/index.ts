export { clipCondFn, guidanceTerms, type CondFnResult, type CondFnSetup, type Guide, type GuidanceTerms, type InitTerm, type RunGraph } from './cond-fn';
export { affineSources, augmentedFeeds, cropFeeds, cropPixelToInput, type AugmentedFeeds, type CropFeeds } from './cutout-maps';
export { cutoutInputs, makeCutouts, type CutoutInputs } from './cutout-graph';
export {
  cropSize, drawCutouts, drawPerspectiveEndpoints, isWholeImage, paddedSize, padOf, perspectiveStartpoints,
  type Augmentation, type Crop, type CutoutGeometry, type CutoutParams, type Point,
} from './cutout-params';
export { cutoutFeeds, scaleFeeds } from './guidance-feeds';
export { buildGuidanceGraph, buildImagePromptGraph, buildPromptCutoutGraph, CLIP_MEAN, CLIP_STD, type GuidanceGraphOptions, type ImagePromptGraphOptions, type LossFn } from './guidance-graph';
export { cosSphericalLoss, l2Normalize, rangeLoss, saturationLoss, sphericalDistLoss, tvLoss, weightedMean } from './losses';
export { perspectiveCoefficients } from './perspective';
