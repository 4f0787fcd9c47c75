/** Fine-tuning the UNet as clip-diffusion-art's train.py does (seed-spec §12). */
export { buildTrainingGraph, GRAD_PREFIX, TRAINING_COEFFICIENTS, type TrainingCoefficient, type TrainingGraphOptions, type TrainingLosses } from './loss-graph';
export { adamWState, adamWStep, annealedLr, parseResumeStep, updateEma, type AdamWOptions, type AdamWState, type Tensors } from './optimizer';
export { microbatchFeeds, modelTimesteps, stepGradients, type Microbatch, type MicrobatchResult, type TrainingSchedule } from './step';
export { centerCropArr, isImageFileName, prepareTrainingImages, trainingTensor, type CenterCrop, type PreparedImages } from './dataset';
export { runTrainLoop, type LoopHooks, type LoopSettings } from './loop';
export { appendCsvRow, csvLog, dumpKvs, humanTable, kvAccumulator, logKv, logLossDict, type CsvLog, type KvAccumulator, type LoggedValue } from './progress-log';
export {
  emaFileName, loadTrainingStart, modelFileName, optFileName, optimizerParts, readOptimizer, readParams, stateDictParts,
  type ParamShapes, type Sibling, type TrainingStart,
} from './checkpoints';
export { pyFloatRepr, pyFormatG } from './python-format';
export { train, trainingScheduleOf, type StepReport, type TrainerIO, type TrainingImage, type TrainOptions } from './trainer';
export { livePeak, trainingMemory, type TrainingMemory } from './memory';
export { fixedDrawLoss } from './evaluate';
export { PREVIEW_DEFAULTS, previewSample, type PreviewOptions } from './preview';
