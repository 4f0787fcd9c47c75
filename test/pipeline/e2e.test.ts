import { afterAll, beforeAll, expect, it } from 'vitest';
import { e2eRun, e2eSources, replayE2e, type E2eRecord } from '../../src/cli/conformance/guidance-e2e';
import { readRefs } from '../../src/cli/conformance/model-checks';
import { loadModels, type LoadedModels } from '../../src/pipeline/index';
import { describeWithFixtures } from '../fixtures';
import { groupContext } from '../helpers/conformance';
import { readReferences, type RefTensor } from '../models/clip/reference';

const STEPS = 3;
const PLANE = 3 * 32 * 32;
/** The measure: max |error| ≤ 1e-4 · max(1, max |reference|). */
const relError = (a: Float32Array, r: Float32Array): number => {
  let d = 0;
  let m = 0;
  r.forEach((v, i) => ((d = Math.max(d, Math.abs(a[i]! - v))), (m = Math.max(m, Math.abs(v)))));
  return d / Math.max(1, m);
};

describeWithFixtures(`guidance e2e: upstream sample() replayed through the pipeline, first ${STEPS} of 45 steps (the full run is in conformance)`, () => {
  let models: LoadedModels;
  let ref: Record<string, RefTensor>;
  let rec: E2eRecord;

  beforeAll(async () => {
    ref = await readReferences('guidance', ['e2e.noise', 'e2e.x', 'e2e.pred_xstart', 'e2e.cond_grad', 'e2e.clip_loss_values']);
    const ctx = await groupContext('guidance');
    const run = await e2eRun(ctx, await readRefs(ctx));
    models = loadModels(ctx.runtime, await e2eSources(ctx.dir, run.files));
    rec = await replayE2e(models, run.settings, ref['e2e.noise']!.data, STEPS);
  }, 120_000);
  afterAll(() => models.dispose());

  it.each(Array.from({ length: STEPS }, (_, j) => j))('step %i: x, pred_xstart and cond_grad within 1e-4 × max(1, max|ref|)', (j) => {
    const at = (name: string) => ref[name]!.data.subarray(j * PLANE, (j + 1) * PLANE);
    expect(rec.x.length).toBe(STEPS);
    expect(relError(rec.x[j]!, at('e2e.x'))).toBeLessThan(1e-4);
    expect(relError(rec.predXstart[j]!, at('e2e.pred_xstart'))).toBeLessThan(1e-4);
    expect(relError(rec.condGrad[j]!, at('e2e.cond_grad'))).toBeLessThan(1e-4);
    expect(relError(Float32Array.from(rec.clipLosses.slice(2 * j, 2 * j + 2)), ref['e2e.clip_loss_values']!.data.subarray(2 * j, 2 * j + 2))).toBeLessThan(1e-4);
  });
});
