import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  isFloating, openCheckpoint, readTensor, readTensorBytes, readTensorFloat32, TORCH_DTYPE_NAMES, type Tensor,
} from '../../checkpoint/index';
import { exact, guard } from './results';
import type { CheckResult, GroupContext } from './types';

/** One tensor as `settings.checkpoint_listings` and `settings.upstream_lin_file` list it. */
export interface ListedTensor {
  readonly name: string;
  /** torch's name: 'float32', ... */
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Of the raw little-endian bytes in row-major order. */
  readonly sha256: string;
  readonly first4: readonly number[];
}

interface Listing {
  readonly file: string;
  readonly tensors: readonly ListedTensor[];
}

/** A tensor described the way the listings describe it, from the bytes the reader returns. */
export async function listTensor(name: string, t: Tensor): Promise<ListedTensor> {
  const first = isFloating(t.dtype) ? [...(await readTensorFloat32(t)).subarray(0, 4)] : Array.from((await readTensor(t)).subarray(0, 4), Number);
  return { name, dtype: TORCH_DTYPE_NAMES[t.dtype], shape: [...t.shape], sha256: bytesToHex(sha256(await readTensorBytes(t))), first4: first };
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Every way `actual` departs from `listed`: names (and their order), then each listed field. */
function departures(listed: readonly ListedTensor[], actual: readonly ListedTensor[]): string[] {
  const problems: string[] = [];
  const names = (l: readonly ListedTensor[]) => l.map((t) => t.name);
  if (!same(names(actual), names(listed))) {
    const missing = names(listed).filter((n) => !names(actual).includes(n));
    const extra = names(actual).filter((n) => !names(listed).includes(n));
    problems.push(`names differ (missing: ${missing.slice(0, 3).join(', ') || 'none'}; not listed: ${extra.slice(0, 3).join(', ') || 'none'}; or in another order)`);
  }
  for (const want of listed) {
    const got = actual.find((t) => t.name === want.name);
    const fields = (['dtype', 'shape', 'sha256', 'first4'] as const).filter((f) => got && !same(got[f], want[f]));
    if (fields.length) problems.push(`${want.name}: ${fields.map((f) => `${f} ${JSON.stringify(got![f])} != ${JSON.stringify(want[f])}`).join(', ')}`);
  }
  return problems;
}

async function checkListing(ctx: GroupContext, listing: Listing, name: string): Promise<CheckResult> {
  return ctx.dir.withSource(ctx.path(listing.file), async (source) => {
    const ck = await openCheckpoint(source);
    const actual: ListedTensor[] = [];
    for (const [key, t] of ck.tensors) actual.push(await listTensor(key, t));
    const problems = departures(listing.tensors, actual);
    const detail = problems.length ? problems.slice(0, 3).join('; ') : `${ck.format}, ${actual.length} tensors: names, dtypes, shapes, sha256, first values`;
    return exact(ctx.manifest.group, name, problems.length, detail);
  });
}

/** Each LPIPS checkpoint (trunk and linear weights, legacy and zip) holds exactly the tensors its listing in `settings` gives. */
export async function* lpipsWeights(ctx: GroupContext): AsyncIterable<CheckResult> {
  const { group, settings } = ctx.manifest;
  const listings = [
    ...Object.values((settings.checkpoint_listings ?? {}) as Readonly<Record<string, Listing>>),
    ...(settings.upstream_lin_file ? [settings.upstream_lin_file as Listing] : []),
  ];
  if (listings.length === 0) yield exact(group, 'checkpoint listings', Infinity, 'settings has neither checkpoint_listings nor upstream_lin_file');
  for (const listing of listings) {
    const name = `${listing.file}: tensors = listing`;
    yield await guard(group, name, () => checkListing(ctx, listing, name));
  }
}
