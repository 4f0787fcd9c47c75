/**
 * Generation from a pack of pre-converted ONNX files (`cli convert` output with model.json): the
 * pipeline's LoadedModels over the pack's graphs, each model.json checked first.
 */
export { loadPackModels, type LoadPackOptions, type PackModel, type PackSources } from './pack-models';
export { graphFiles, parseModelJson, type ClipJson, type GraphEntry, type ModelJson, type ModelJsonKind, type SwinIRJson, type UnetJson } from './model-json';
