import { expect, it } from 'vitest';
import type { CheckResult } from '../../../src/cli/conformance/types';
import { unetModel } from '../../../src/cli/conformance/unet-model';
import { buildUnetGraph } from '../../../src/models/unet';
import { describeWithFixtures } from '../../fixtures';
import { groupContext } from '../../helpers/conformance';
import { runGraph } from '../../helpers/ort';
import { fixtureUnet, get, readReferences, relError } from './fixtures';

describeWithFixtures('UNet configs A, B, C against upstream (the conformance suite on the shared fixtures)', () => {
  it('every case output and every recorded intermediate: fp32 within 1e-4·max|ref|, fp16 weights within 1e-2', async () => {
    const results: CheckResult[] = [];
    for await (const r of unetModel(await groupContext('unet'))) results.push(r);
    expect(results.filter((r) => !r.pass).map((r) => `${r.name}: rel ${r.maxRel} ${r.detail ?? ''}`)).toEqual([]);
    const names = results.map((r) => r.name);
    // 3 cases per config, the intermediates the README lists (A 5, B 3, C 6), the yaml-vs-kwargs and fp16 lines.
    expect(names.filter((n) => /case\d\.out \(fp32\)/.test(n))).toHaveLength(9);
    expect(names).toEqual(expect.arrayContaining(['C.case0.h_attn as input_blocks.5 (fp32)', 'A.case0.h_outlast as output_blocks.8 (fp32)', 'C.case0.emb_total as emb_total (fp32)']));
    expect(results).toHaveLength(29);
    for (const r of results.filter((x) => x.name.includes('(fp32)'))) expect(r.maxRel).toBeLessThan(1e-5);
  }, 120_000);

  it('config C really pins the attention order: the legacy order on its weights misses by O(0.1)', async () => {
    const refs = await readReferences('unet/unet_ref.safetensors');
    const { config, weights } = await fixtureUnet('C');
    const legacy = buildUnetGraph({ ...config, useNewAttentionOrder: false }, weights, { batch: 2 });
    const out = await runGraph(legacy, { x: get(refs, 'C.x'), t: get(refs, 'C.case0.t'), y: get(refs, 'C.case0.y') });
    expect(relError(out.out!.data as Float32Array, get(refs, 'C.case0.out').data as Float32Array)).toBeGreaterThan(0.05);
  });
});
