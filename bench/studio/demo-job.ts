import { SEED_DEFAULTS, type StudioSettings } from '../../src/ui/settings';

/** The demo job the studio and GPU benches time: the e2e suite's quick settings (6 DDIM steps, 4 cutouts, preview every 2). */
export const DEMO_JOB: StudioSettings = {
  ...SEED_DEFAULTS, prompts: [{ text: 'a lighthouse in a storm', weight: 1 }], sampling: 'ddim8', skipTimesteps: 2, cutn: 4, cutnBatches: 1, previewEvery: 2, upscale: 'off', seed: 7,
};
