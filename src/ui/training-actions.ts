import { isImageFileName } from '../training';
import type { TrainEvent } from '../../workers/training-job';
import { deleteTrainingImage, listTrainingImages, putTrainingImage, readRunFile, runBase, runFileNames } from '../../workers/training-store';
import type { TrainingBase } from '../../workers/job-types';
import { firstOf, verifiedModels } from './models-state';
import { engine } from './engine';
import { studio, updateTraining } from './store';
import { IDLE_RUN, trainOptions, type TrainingForm, type TrainingRun } from './training-state';

/** The run's files as links: object URLs of the stored blobs, the previous ones revoked. */
async function refreshFiles(): Promise<void> {
  const links = await Promise.all((await runFileNames()).map(async (name) => {
    const blob = (await readRunFile(name))!;
    return { name, url: URL.createObjectURL(blob), size: blob.size };
  }));
  for (const old of studio.getState().training.files) URL.revokeObjectURL(old.url);
  updateTraining(() => ({ files: links }));
}

/** The stored training set and the run's files, at start-up: a reload finds both. */
export async function loadTraining(): Promise<void> {
  try {
    const images = await listTrainingImages();
    updateTraining(() => ({ images: images.map((i) => ({ name: i.name, blob: i.blob, url: URL.createObjectURL(i.blob) })) }));
    await refreshFiles();
    const base = await runBase();
    updateTraining((t) => ({ runBase: t.files.length > 0 ? base : undefined }));
  } catch (err) {
    updateTraining((t) => ({ run: { ...t.run, error: `The training set could not be read: ${(err as Error).message}` } }));
  }
  void refreshEstimate();
}

/** Dropped or picked files: images (by name, as train.py lists them) join the set; the rest are named and left out. */
export async function addTrainingFiles(files: readonly File[]): Promise<void> {
  const images = files.filter((f) => isImageFileName(f.name));
  for (const f of images) await putTrainingImage({ name: f.name, blob: f, addedAt: Date.now() });
  // A file dropped again under a name the set has replaces that image.
  const replaced = studio.getState().training.images.filter((i) => images.some((f) => f.name === i.name));
  for (const old of replaced) URL.revokeObjectURL(old.url);
  const added = images.map((f) => ({ name: f.name, blob: f as Blob, url: URL.createObjectURL(f) }));
  updateTraining((t) => ({ images: [...t.images.filter((i) => !replaced.includes(i)), ...added], refused: files.filter((f) => !isImageFileName(f.name)).map((f) => f.name) }));
}

export async function removeTrainingImage(name: string): Promise<void> {
  await deleteTrainingImage(name);
  const gone = studio.getState().training.images.find((i) => i.name === name);
  if (gone) URL.revokeObjectURL(gone.url);
  updateTraining((t) => ({ images: t.images.filter((i) => i.name !== name) }));
}

/** The options the memory estimate depends on: it builds the training graph, so an lr edit does not ask for it again. */
const SIZING: readonly (keyof TrainingForm)[] = ['batchSize', 'microbatch', 'emaRates'];

/** Asks the worker what the form's run needs; an answer for a form since changed is dropped. */
export async function refreshEstimate(): Promise<void> {
  const { form, base } = studio.getState().training;
  const current = () => studio.getState().training.base === base && SIZING.every((k) => studio.getState().training.form[k] === form[k]);
  try {
    const estimate = await engine().trainingEstimate(trainOptions(form), base);
    if (current()) updateTraining(() => ({ estimate }));
  } catch (err) {
    if (current()) updateTraining(() => ({ estimate: { error: (err as Error).message } }));
  }
}

export function updateTrainingForm(patch: Partial<TrainingForm>): void {
  updateTraining((t) => ({ form: { ...t.form, ...patch } }));
  if (SIZING.some((k) => k in patch)) void refreshEstimate();
}

/** What a new run starts from: the demo UNet or a cached diffusion checkpoint. */
export function chooseTrainingBase(base: TrainingBase): void {
  updateTraining(() => ({ base }));
  void refreshEstimate();
}

const setRun = (patch: (r: TrainingRun) => Partial<TrainingRun>): void => updateTraining((t) => ({ run: { ...t.run, ...patch(t.run) } }));

function onTrainEvent(e: TrainEvent): void {
  if (e.type === 'prepared') {
    const total = studio.getState().training.form.lrAnnealSteps - e.resumeStep;
    setRun(() => ({ skipped: e.skipped, totalSteps: Math.max(total, 0) }));
    updateTraining(() => ({ runBase: e.base }));
  } else if (e.type === 'step') {
    setRun((r) => ({ steps: [...r.steps, { step: e.step, lr: e.lr, loss: e.loss, mse: e.mse, vb: e.vb }] }));
  } else if (e.type === 'fixed-loss') setRun((r) => ({ fixedLoss: [...r.fixedLoss, { done: e.done, loss: e.loss }] }));
  else if (e.type === 'preview') setRun(() => ({ preview: { done: e.done, pixels: e.pixels } }));
  else void refreshFiles();
}

/** The running run's Stop (a run is queued like a job; its controller lives while it runs). */
let stopper: AbortController | undefined;

/** Starts a run on the stored set (afresh, or resumed from the run's last saved model), queued with the generation jobs. */
export async function startTraining(resume: boolean): Promise<void> {
  const { images, form, base } = studio.getState().training;
  stopper = new AbortController();
  setRun(() => ({ ...IDLE_RUN, status: 'running' }));
  try {
    const request = { options: trainOptions(form), base, resume, images: images.map((i) => ({ name: i.name, blob: i.blob })) };
    await engine().train(request, onTrainEvent, stopper.signal);
    setRun(() => ({ status: stopper?.signal.aborted ? 'stopped' : 'done' }));
  } catch (err) {
    setRun(() => ({ status: 'error', error: (err as Error).message }));
  } finally {
    stopper = undefined;
    await refreshFiles();
  }
}

/** Ends the run after its step; the state then is saved (TrainLoop's final save), so Resume continues from it. */
export function stopTraining(): void {
  if (!stopper) return;
  stopper.abort();
  setRun(() => ({ status: 'stopping' }));
}

/**
 * Paints with a model or EMA file of the run: the demo pack with that UNet, or the cached models
 * with it in place of the checkpoint it was fine-tuned from (the current cached choice when it uses
 * that checkpoint, else the first that can).
 */
export function paintWithTrained(name: string): void {
  const { training, modelChoice, models } = studio.getState();
  const base = training.runBase ?? { source: 'demo' };
  if (base.source === 'demo') {
    studio.setState({ modelChoice: { source: 'demo', ...(modelChoice.source === 'demo' && modelChoice.clips && { clips: modelChoice.clips }), unet: name } });
    return;
  }
  const cached = modelChoice.source === 'cache' && modelChoice.diffusion === base.diffusion ? modelChoice : firstOf(verifiedModels(models.manifest, models.statuses), base.diffusion);
  if (!cached || cached.diffusion !== base.diffusion) {
    studio.setState({ error: 'Painting with the fine-tuned UNet needs its base model and a CLIP in the cache: download them under Models' });
    return;
  }
  studio.setState({ modelChoice: { ...cached, unet: name } });
}
