/**
 * Generation orchestration shared by the CLI and the browser worker (engine-side: no DOM, no Node
 * API): settings with sample.py's defaults, the model bundle, and generate(), which runs
 * clip-diffusion-art's guided sampler (spec §2–§9) and optional SwinIR (§10) with progress and cancel.
 */
export { generate, render, type GenerateOptions } from './generate';
export { guidedModel, type GuidedModel, type GuidedSessions } from './guided-model';
export { sessionSwap, type SessionSwap, type SessionSwapHooks } from './session-swap';
export { cutoutStream, prepareJob, sampleImage, subBatchOf, type Job, type JobGuide, type SampleImageOptions } from './job';
export {
  buildGraph, defaultGraphBytes, graphOptions, loadModels, specKey,
  type GraphBytes, type GraphSpec, type LoadedModels, type LoadModelsOptions, type ModelSources, type PoolOptions, type RunSession,
} from './models';
export type { GeneratedImage, GenerationEvent, NoticeEvent, RenderedImage, StepLosses, StepProgress, UpscaleProgressEvent } from './progress';
export {
  defaultSettings, INIT_LOSS_NOTICE, initLossNotice, initLossRuns, validateSettings,
  type GenerationSettings, type ImagePrompt, type RgbaImage, type Upscale,
} from './settings';
export { initImageTensor, makeTargets, type Targets } from './targets';
export { graphFiles, loadPackModels, parseModelJson, type LoadPackOptions, type ModelJsonKind, type PackModel, type PackSources } from './pack/index';
