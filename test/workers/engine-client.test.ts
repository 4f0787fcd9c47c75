import { expose } from 'comlink';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { DeviceLostError, EngineError } from '../../src/errors';
import { createEngineClient } from '../../workers/engine-client';
import type { JobRequest } from '../../workers/job-types';

/**
 * Workers over MessageChannels, each exposing a stand-in engine whose first job fails with
 * `firstError`; `log` records what each worker (by number) was asked.
 */
function fakeWorkers(firstError: Error) {
  const log: string[] = [];
  let started = 0;
  const makeWorker = () => {
    const n = ++started;
    let jobs = 0;
    const { port1, port2 } = new MessageChannel();
    const engine = {
      loadModels: (pack?: string) => (log.push(`${n}: loadModels ${pack}`), { manifest: { name: pack } }),
      generate: () => {
        jobs += 1;
        log.push(`${n}: generate`);
        if (n === 1 && jobs === 1) throw firstError;
        return { images: [], modelLabel: 'demo', backend: { ep: 'wasm' } };
      },
    };
    expose(engine, port2 as unknown as MessagePort);
    port1.start();
    return Object.assign(port1 as unknown as Worker, { terminate: () => (log.push(`${n}: terminated`), port1.close()) });
  };
  return { log, makeWorker };
}

const request = {} as JobRequest;

describe('createEngineClient', () => {
  it('restarts the worker after a lost device and sets the new one up before its first job', async () => {
    const { log, makeWorker } = fakeWorkers(new DeviceLostError('the GPU device was lost (destroyed)'));
    const client = createEngineClient(makeWorker);
    await client.onStart(async (api) => void (await (api as unknown as { loadModels(p: string): Promise<unknown> }).loadModels('pack.json')));
    await expect(client.generate(request, () => {})).rejects.toMatchObject({ name: 'DeviceLostError' });
    await expect(client.generate(request, () => {})).resolves.toMatchObject({ modelLabel: 'demo' });
    expect(log).toEqual(['1: loadModels pack.json', '1: generate', '1: terminated', '2: loadModels pack.json', '2: generate']);
  });

  it('keeps the worker after any other error', async () => {
    const { log, makeWorker } = fakeWorkers(new EngineError('no model x in the manifest'));
    const client = createEngineClient(makeWorker);
    await expect(client.generate(request, () => {})).rejects.toMatchObject({ message: 'no model x in the manifest' });
    await client.generate(request, () => {});
    expect(log).toEqual(['1: generate', '1: generate']);
  });
});
