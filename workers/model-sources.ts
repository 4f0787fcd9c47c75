import type { GraphSource } from '../src/cache';
import { buildDemoPack, DEMO_LABEL, type DemoClipName } from '../src/models/demo';
import { EngineError } from '../src/errors';
import { isDemoClip, type GuideChoice } from './job-types';
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

/** The built-in demo pack with the demo CLIPs asked for, built in the worker (about a second): runs offline on a fresh machine. */
export function demoSources(guides: readonly GuideChoice[]): Sources {
  const names = guides.map((g): DemoClipName => {
    if (!isDemoClip(g.id)) throw new EngineError(`the demo pack has no CLIP model '${g.id}'`);
    return g.id;
  });
  const pack = buildDemoPack(names);
  return { sources: pack, label: DEMO_PACK_LABEL, graphSource: (spec) => ({ url: 'guide' in spec ? `${DEMO_VERSION}:${names[spec.guide]}` : DEMO_VERSION, size: 0 }) };
}
