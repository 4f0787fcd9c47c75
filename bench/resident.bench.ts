import { optimize, type GraphData } from '../src/graph';
import { createClipTokenizer } from '../src/models/clip/index';
import { clipShapes, demoVocabularyGz, seededArrays } from '../src/models/demo/index';
import { buildGraph, type GraphSpec, type ModelSources } from '../src/pipeline/index';
import { expectedShapes } from '../src/models/swinir/index';
import { unetParameterShapes } from '../src/models/unet/index';
import { FULL_SIZE, swinir } from './full-size-graphs';
import { SWINIR_M, VIT_B16 } from './full-size-configs';
import type { Benchmark, Figure } from './run';

/**
 * The weights a WebGPU studio holds on the device during a seed-default job: the initializers of
 * every session it keeps (workers/generation.ts keeps them all on WebGPU, see LoadModelsOptions.
 * keepReleasedSessions), against the unique weights of the three models. Graphs as the pipeline
 * builds them (`buildGraph`, then `optimize`, as `defaultGraphBytes` does), full size, seeded.
 */
const GUIDANCE: GraphSpec = { kind: 'guidance', guide: 0, cutn: 10, targets: 1, lossFn: 'spherical', augment: true };
/** Before: a forward-only UNet session beside the guidance graph. Now (LoadModelsOptions.oneUnetCopy): the guidance graph alone. */
const LAYOUTS: Record<string, readonly GraphSpec[]> = {
  with_forward_session: [{ kind: 'unet' }, { kind: 'unet_guided' }, { kind: 'clip_text', guide: 0 }, GUIDANCE],
  one_unet_copy: [{ kind: 'unet_guided' }, { kind: 'clip_text', guide: 0 }, GUIDANCE],
};

const MIB = 2 ** 20;
const mib = (bytes: number): Figure => ({ value: +(bytes / MIB).toFixed(1), unit: 'MiB' });
const initializerBytes = (graph: GraphData): number => graph.initializers.reduce((n, i) => n + i.data.byteLength, 0);
const parameterBytes = (shapes: Iterable<readonly [string, readonly number[]]>): number => [...shapes].reduce((n, [, shape]) => n + 4 * shape.reduce((a, b) => a * b, 1), 0);

function sources(): ModelSources {
  const clip = { architecture: VIT_B16, weights: seededArrays(clipShapes(VIT_B16), 12) };
  return { unet: { config: FULL_SIZE.unetConfig, weights: FULL_SIZE.unetWeights() }, clips: [clip], tokenizer: createClipTokenizer(demoVocabularyGz()) };
}

const bench: Benchmark = {
  description: "weights resident on a WebGPU device during a seed-default job (the sessions the studio keeps), against the three models' unique weights, full size, fp32",
  run() {
    const models = sources();
    const figures: Record<string, Figure> = {};
    const bytesOf = new Map<string, number>();
    for (const spec of LAYOUTS.with_forward_session!) {
      const bytes = initializerBytes(optimize(buildGraph({ ...models, lpips: undefined }, spec)));
      figures[`${spec.kind}_initializers`] = mib(bytes);
      bytesOf.set(spec.kind, bytes);
    }
    const swinirBytes = initializerBytes(swinir(FULL_SIZE).graph);
    figures.swinir_m_tile_initializers = mib(swinirBytes);
    const unique = parameterBytes(unetParameterShapes(FULL_SIZE.unetConfig)) + parameterBytes(clipShapes(VIT_B16)) + parameterBytes(expectedShapes(SWINIR_M));
    figures.unique_weights = mib(unique);
    for (const [layout, specs] of Object.entries(LAYOUTS)) {
      const resident = specs.reduce((n, spec) => n + bytesOf.get(spec.kind)!, swinirBytes);
      figures[`resident_weights_${layout}`] = mib(resident);
      figures[`resident_of_unique_${layout}`] = { value: +(resident / unique).toFixed(2), unit: '× the unique weights', ...(layout === 'one_unet_copy' ? { target: '<= 1.15', pass: resident / unique <= 1.15 } : {}) };
    }
    return Promise.resolve({
      figures,
      notes: [
        "sessions held on WebGPU at the seed defaults: the UNet's guidance (VJP) graph, which since oneUnetCopy also makes the model call with a zero cotangent (with_forward_session: the forward-only UNet session beside it, as before), the CLIP text encoder (kept: onnxruntime-web 1.30 frees a released session only once no other is alive), the CLIP guidance gradient for 10 cutouts, and SwinIR-M's 264² tile graph",
        'initializers counted as the optimised graph holds them (folded transforms of weights included); unique weights: every parameter of the art UNet, ViT-B/16 (both towers) and SwinIR-M once, fp32',
        'the CLIP guidance graph holds only the image tower, the text encoder only the text tower: with the forward session the UNet was the one model held twice',
      ],
    });
  },
};

export default bench;
