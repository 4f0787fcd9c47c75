export { buildSwinIRGraph, type SwinIRGraphOptions } from './build';
export { inferSwinIRConfig, RGB_MEAN, type ResiConnection, type SwinIRConfig } from './config';
export { relativePositionIndex, shiftMask, windowGrid, type WindowGrid } from './geometry';
export { expectedShapes, loadSwinIR, type SwinIRModel } from './load';
export { clampUnit, crop, mirrorPad, paddedSize, planarImage, type PlanarImage } from './planar';
export { blendWeights, planAxis, type AxisPlan, type TileOptions } from './tiles';
export { createSwinIRUpscaler, type PrebuiltSwinIR, type SwinIRNetwork, type ImageRegion, type SwinIRUpscaler, type TileGraphStats, type UpscaleOptions, type UpscaleProgress } from './upscale';
export { convertSwinIR, SWINIR_CONVERT_USAGE } from './convert';
