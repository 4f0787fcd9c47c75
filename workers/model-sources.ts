import type { GraphSource } from '../src/cache';
import { buildDemoPack, DEMO_LABEL, type DemoClipName } from '../src/models/demo';
import { EngineError } from '../src/errors';
import { guidesOf, isDemoClip, type DemoChoice } from './job-types';
import { trainedUnet } from './trained-unet';
import type { GraphSpec, ModelSources } from '../src/pipeline';

export interface Sources {
  readonly sources: ModelSources;
  readonly label: string;
  /** What each cached graph is keyed by: the checkpoint it is built from. */
  readonly graphSource: (spec: GraphSpec) => GraphSource;
}

/** Bumped when buildDemoPack's weights or architecture change, so stale cached demo graphs are not used. */
const DEMO_VERSION = 'demo-pack:3';

export const DEMO_PACK_LABEL = `Demo pack: tiny random models, not art. ${DEMO_LABEL}`;

/** A model label naming the training run's file when a UNet fine-tuned in the studio paints. */
export const trainedLabel = (label: string, unet?: string): string => (unet ? `${label} (UNet fine-tuned in this studio: ${unet})` : label);

/** The demo pack's label, naming the training run's file when its UNet paints. */
export const demoPackLabel = (unet?: string): string => (unet ? `${DEMO_PACK_LABEL} UNet fine-tuned in this studio (${unet}).` : DEMO_PACK_LABEL);

/**
 * The built-in demo pack with the demo CLIPs asked for, built in the worker (about a second): runs
 * offline on a fresh machine; with `unet`, its UNet fine-tuned in the studio.
 */
export async function demoSources(choice: DemoChoice): Promise<Sources> {
  const names = guidesOf(choice).map((g): DemoClipName => {
    if (!isDemoClip(g.id)) throw new EngineError(`the demo pack has no CLIP model '${g.id}'`);
    return g.id;
  });
  const pack = buildDemoPack(names);
  const trained = choice.unet ? await trainedUnet(choice.unet, pack.unet.config) : undefined;
  return {
    sources: trained ? { ...pack, unet: { config: pack.unet.config, weights: trained.weights } } : pack,
    label: demoPackLabel(choice.unet),
    graphSource: (spec) => ({ url: 'guide' in spec ? `${DEMO_VERSION}:${names[spec.guide]}` : trained ? `${DEMO_VERSION}:${trained.key}` : DEMO_VERSION, size: 0 }),
  };
}
