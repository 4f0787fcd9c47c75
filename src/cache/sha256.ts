import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { chunkCountOf, loadChunk, type ChunkLayout } from './chunked-source';
import type { ChunkedKeys } from './keys';
import type { KeyValueStore } from './store';

/**
 * Incremental SHA-256. crypto.subtle.digest takes one whole buffer (no streaming), which a 2 GB
 * model must never be; @noble/hashes hashes chunk by chunk.
 */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  /** Lowercase hex digest of everything fed so far. */
  hex(): string;
}

export function createSha256(): Sha256 {
  const hash = sha256.create();
  return {
    update: (bytes) => void hash.update(bytes),
    hex: () => bytesToHex(hash.clone().digest()),
  };
}

/** Feeds stored chunks 0..count-1 to `hash`, one record in memory at a time; `onChunk` after each. */
export async function hashStoredChunks(
  store: KeyValueStore, keys: ChunkedKeys, layout: ChunkLayout, what: string, hash: Sha256, onChunk: (bytesHashed: number) => void,
): Promise<void> {
  const count = chunkCountOf(layout);
  for (let i = 0; i < count; i++) {
    hash.update(await loadChunk(store, keys, layout, i, what));
    onChunk(Math.min(layout.size, (i + 1) * layout.chunkBytes));
  }
}
