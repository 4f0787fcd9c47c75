import type { GraphSource } from '../src/cache';
import { buildDemoPack, DEMO_LABEL } from '../src/models/demo';
import type { GraphSpec, ModelSources } from '../src/pipeline';

export interface Sources {
  readonly sources: ModelSources;
  readonly label: string;
  /** What each cached graph is keyed by: the checkpoint it is built from. */
  readonly graphSource: (spec: GraphSpec) => GraphSource;
}

/** Bumped when buildDemoPack's weights or architecture change, so stale cached demo graphs are not used. */
const DEMO_VERSION = 'demo-pack:1';

export const DEMO_PACK_LABEL = `Demo pack: tiny random models, not art. ${DEMO_LABEL}`;

/** The built-in demo pack, built in the worker (about a second): runs offline on a fresh machine. */
export function demoSources(): Sources {
  const pack = buildDemoPack();
  return { sources: pack, label: DEMO_PACK_LABEL, graphSource: () => ({ url: DEMO_VERSION, size: 0 }) };
}
