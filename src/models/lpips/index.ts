export { convIndices, inferLpipsConfig, LPIPS_MIN_SIZE, LPIPS_SCALE, LPIPS_SHIFT, TAP_NAMES, TAP_RELUS, VGG16_FEATURES, type LpipsConfig } from './architecture';
export { buildLpipsTermGraph, LPIPS_TERM, lpips, lpipsDistance, lpipsParams, lpipsScale, lpipsTaps, normalizeChannels, stackLayers, type LpipsDistances, type LpipsModel, type LpipsParams } from './graph';
export { loadLpips, lpipsParameterShapes } from './load';
