import { access, appendFile, mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { DEMO_UNET_FLAGS, demoUnetArrays, seededArrays } from '../../models/demo/index';
import { DEFAULT_FLAGS, resolveConfig, unetParameterShapes } from '../../models/unet/index';
import { describeNodeBackend, nodeRuntime } from '../../runtime/node';
import { loadTrainingStart, prepareTrainingImages, pyFloatRepr, train, trainingScheduleOf, type Sibling, type TrainingStart } from '../../training/index';
import { withFileSource } from '../file-source';
import { parseTrainArgs, TRAIN_USAGE, type TrainArgs } from '../train-args';

export const summary = "fine-tune a UNet on a folder of images as the seed's train.py does (torch-format checkpoints, log.txt, progress.csv)";
export const usage = `${TRAIN_USAGE}
  without --resume_checkpoint or --demo the UNet starts from seeded random weights (not torch's initialisation)`;

/** Every file under `dir`, as paths relative to it (bf.listdir recursively, as _list_image_files_recursively walks). */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** Writes a file from parts without joining them: a real model is hundreds of megabytes. */
async function writeParts(path: string, parts: readonly Uint8Array[]): Promise<void> {
  const file = await open(path, 'w');
  try {
    for (const p of parts) await file.write(p);
  } finally {
    await file.close();
  }
}

/** The start as TrainLoop makes it: a checkpoint (resumed as train.py resumes), the demo UNet, or seeded weights. */
async function trainingStart(a: TrainArgs, shapes: ReadonlyMap<string, readonly number[]>, config: ReturnType<typeof resolveConfig>): Promise<TrainingStart> {
  const rates = a.options.emaRates;
  if (a.resumeCheckpoint) {
    const path = a.resumeCheckpoint;
    const sibling: Sibling = async (name, work) => {
      const p = join(dirname(path), name);
      return (await access(p).then(() => true, () => false)) ? withFileSource(p, work) : undefined;
    };
    return withFileSource(path, (source) => loadTrainingStart(path, source, sibling, shapes, rates));
  }
  const arrays = a.demo ? demoUnetArrays(config) : seededArrays(shapes, a.options.seed);
  const params = new Map([...arrays].map(([n, { data }]) => [n, data.slice()]));
  return { resumeStep: 0, params, emas: rates.map(() => new Map([...params].map(([n, p]) => [n, p.slice()]))), log: [a.demo ? 'starting from the demo pack\'s UNet (seeded random weights)' : 'starting from seeded random weights'] };
}

export async function run(args: readonly string[]): Promise<number> {
  const a = parseTrainArgs(args);
  const flags = { ...DEFAULT_FLAGS, ...(a.demo ? DEMO_UNET_FLAGS : {}), ...a.flags };
  const schedule = trainingScheduleOf(flags);
  const config = resolveConfig(flags);
  await mkdir(a.logDir, { recursive: true });
  // logger.configure opens log.txt and progress.csv for writing: a new run starts them afresh, as upstream's does.
  const logPath = join(a.logDir, 'log.txt');
  await writeFile(logPath, '');
  const log = async (text: string) => {
    const line = text.endsWith('\n') ? text : `${text}\n`;
    process.stdout.write(line);
    await appendFile(logPath, line);
  };
  await log(`Logging to ${a.logDir}`);
  await log('Creating model and diffusion...');
  const shapes = unetParameterShapes(config);
  await log('Creating data loader...');
  const names = await listFiles(a.dataDir);
  const { images, skipped } = await prepareTrainingImages(names, async (n) => new Uint8Array(await readFile(join(a.dataDir, n))), config.imageSize);
  for (const s of skipped) console.log(`note: skipped ${s.name}: ${s.reason}`);
  console.log(`${images.length} training image${images.length === 1 ? '' : 's'} at ${config.imageSize}² from ${a.dataDir}`);
  const runtime = nodeRuntime(a.backend);
  console.log(`backend: ${describeNodeBackend(runtime.backend)}`);
  let stop = false;
  const onInterrupt = () => {
    if (stop) process.exit(130);
    stop = true;
    console.log('\nstopping after this step; the last state is saved (Ctrl-C again to quit at once, losing the steps since the last save)');
  };
  process.on('SIGINT', onInterrupt);
  await log('Starting training...');
  // TrainLoop's constructor loads the checkpoint, after train.py's "Starting training...".
  const start = await trainingStart(a, shapes, config);
  for (const line of start.log) await log(line);
  try {
    const steps = await train(runtime, config, schedule, shapes, images, start, a.options, {
      writeFile: (name, parts) => writeParts(join(a.logDir, name), parts),
      log,
      writeProgress: (csv) => writeFile(join(a.logDir, 'progress.csv'), csv),
      onStep: (r) => console.log(`step ${r.step}: loss ${r.loss.toFixed(5)} (mse ${r.mse.toFixed(5)}, vb ${r.vb.toFixed(5)}) lr ${pyFloatRepr(r.lr)}`),
      stopRequested: () => stop,
    });
    console.log(`${steps} step${steps === 1 ? '' : 's'} done; checkpoints in ${a.logDir}`);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
  return 0;
}
