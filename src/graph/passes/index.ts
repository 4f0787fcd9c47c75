import type { GraphData } from '../graph';
import { eliminateDeadNodes } from './dead';
import { deduplicate } from './dedupe';
import { foldConstants } from './fold';

export { eliminateDeadNodes } from './dead';
export { deduplicate } from './dedupe';
export { foldConstants } from './fold';

/**
 * The hygiene every exported graph gets: dead nodes out first (so nothing is folded in vain), then
 * constant folding, merging of duplicates, and a last sweep for what they left unused.
 */
export const optimize = (graph: GraphData): GraphData => eliminateDeadNodes(deduplicate(foldConstants(eliminateDeadNodes(graph))));
