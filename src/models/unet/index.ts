export { unetForward, type UnetInputs, type UnetValues } from './build';
export { attentionHeads, levelWidth, resolveConfig, truthy, type UnetConfig } from './config';
export { convertUnet, UNET_CONVERT_USAGE } from './convert';
export { describeGraph, type GraphDoc, type ValueDoc } from './describe';
export { DEFAULT_FLAGS, flagsFromArgs, type PyValue, type UnetFlags } from './flags';
export { buildGuidedUnetGraph, buildUnetGraph, UNET_INPUTS, unetParameterShapes, type UnetGraphOptions } from './graphs';
export { loadUnetWeights } from './load';
export { CLIP_DIFFUSION_ART_YAML, UNET_PRESETS, unetPreset, type UnetPreset } from './presets';
export { parseModelConfigYaml, parseYaml, type YamlDocument } from './yaml';
