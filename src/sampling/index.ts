/**
 * The sampler of clip-diffusion-art (spec §7–§9): schedules and respacing, DDIM/DDPM steps with
 * guidance hooks, the progressive loop around a model, prompt weights and the guidance helpers.
 */
export { coefficientsAt, type StepCoefficients } from './coefficients';
export { conditionScore, ddimSigma, ddimStep, type DdimStepInput } from './ddim';
export { conditionMean, meanVariance, pSampleStep, type MeanVariance, type PSampleStepInput } from './ddpm';
export { clampGradRms, GRAD_RMS_CAP, gradRms } from './grad-clamp';
export { applyScaleMultiplier, guidanceFac, guidanceInput, type GuidanceScales } from './guidance-input';
export {
  finalImage, sampleLoop, samplingMethod,
  type CondFn, type DiffusionModel, type SampleOptions, type SampleResult, type SamplingMethod, type StepContext, type StepEvent,
} from './loop';
export {
  clampDenoised, learnedRangeLogVariance, numel, posteriorMean, predictEpsFromXstart, predictXstartFromEps, predXstartOf, qSample,
  splitModelOutput, type ModelOutputParts, type SampleShape,
} from './p-mean-variance';
export { imagePromptWeights, normalizeWeights, parsePrompt, type Prompt } from './prompts';
export { roundHalfEven, spaceTimesteps } from './respacing';
export { createRng, hashString, type Rng } from './rng';
export {
  cosineBetas, createSchedule, diffusionArrays, linearBetas, modelTimestep, namedBetas, respacedBetas,
  type DiffusionArrays, type NoiseSchedule, type Schedule, type ScheduleOptions,
} from './schedule';
export { modelOutputFor, replayRng, varValuesFor } from './replay';
export { sessionModel } from './session-model';
