import { expect, it } from 'vitest';
import { runTrainLoop, type LoopSettings } from '../../src/training/index';

/** The loop's events: s<counter>@lr, d (dump), S<file number>. */
async function trace(s: Partial<LoopSettings>, stopAfter = Infinity): Promise<{ events: string[]; counter: number }> {
  const events: string[] = [];
  let steps = 0;
  const counter = await runTrainLoop({ lr: 1, lrAnnealSteps: 0, logInterval: 1, saveInterval: 1, resumeStep: 0, ...s }, {
    step: async (step, lr) => void (steps++, events.push(`s${step}@${lr}`)),
    logStep: () => undefined,
    dump: async () => void events.push('d'),
    save: async (n, lr) => void events.push(`S${n}@${lr}`),
    stopRequested: () => steps >= stopAfter,
  });
  return { events, counter };
}

it("saves after the first step as file 0 and every save_interval steps, and exits after a save past step 0 under DIFFUSION_TRAINING_TEST", async () => {
  expect(await trace({ saveInterval: 2, logInterval: 5, exitAfterSave: true })).toEqual({ events: ['s0@1', 'd', 'S0@1', 's1@1', 's2@1', 'S2@1'], counter: 2 });
});

it('anneals lr after each step with the old counter, stops at lr_anneal_steps and saves the last state unless just saved', async () => {
  // Step k (1-based) runs at lr·(1 − (k − 2)/N) from k = 2; the last save holds the lr annealed after it (opt000003.pt's 0.000666…).
  expect(await trace({ lr: 2e-3, lrAnnealSteps: 3, saveInterval: 10, logInterval: 10 })).toEqual({
    events: ['s0@0.002', 'd', 'S0@0.002', 's1@0.002', `s2@${2e-3 * (1 - 1 / 3)}`, `S3@${2e-3 * (1 - 2 / 3)}`], counter: 3,
  });
  // Resumed at 500: files numbered from 500, the anneal counted from it.
  const resumed = await trace({ lr: 1, lrAnnealSteps: 502, saveInterval: 1, logInterval: 1, resumeStep: 500 });
  expect(resumed.events.filter((e) => e.startsWith('S'))).toEqual([`S500@${1 - 500 / 502}`, `S501@${1 - 501 / 502}`]);
});

it('ends on a stop request like the anneal end: the last state saved under the next number', async () => {
  expect(await trace({ saveInterval: 100, logInterval: 100 }, 3)).toEqual({ events: ['s0@1', 'd', 'S0@1', 's1@1', 's2@1', 'S3@1'], counter: 3 });
  await expect(trace({ saveInterval: 0 })).rejects.toThrow(/at least 1/);
});
