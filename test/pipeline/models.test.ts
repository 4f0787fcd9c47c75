import { describe, expect, it } from 'vitest';
import { loadModels, type ModelSources } from '../../src/pipeline';
import type { Runtime } from '../../src/runtime';

/** A runtime whose sessions only count how many were created and are alive. */
function countingRuntime() {
  const state = { alive: 0, created: 0 };
  const runtime = {
    createSession: () => {
      state.created += 1;
      state.alive += 1;
      return Promise.resolve({ run: () => Promise.resolve({}), dispose: () => Promise.resolve(void (state.alive -= 1)) });
    },
  } as unknown as Runtime;
  return { runtime, state };
}

const sources = { unet: { config: { imageSize: 64 } }, clips: [{ architecture: { imageResolution: 64 } }] } as unknown as ModelSources;
const graphBytes = () => Promise.resolve(Uint8Array.of(0));

describe('loadModels', () => {
  for (const keepReleasedSessions of [false, true]) {
    it(`${keepReleasedSessions ? 'keeps' : 'disposes'} a released session ${keepReleasedSessions ? 'until dispose() (WebGPU)' : 'at once'}`, async () => {
      const { runtime, state } = countingRuntime();
      const models = loadModels(runtime, sources, { graphBytes, keepReleasedSessions });
      for (let job = 0; job < 3; job++) {
        await models.session({ kind: 'clip_text', guide: 0 });
        await models.release({ kind: 'clip_text', guide: 0 });
      }
      expect(state.created).toBe(keepReleasedSessions ? 1 : 3);
      expect(state.alive).toBe(keepReleasedSessions ? 1 : 0);
      await models.dispose();
      expect(state.alive).toBe(0);
    });
  }
});
