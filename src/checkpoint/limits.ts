/**
 * Bounds that keep a hostile file from hanging the reader or exhausting memory. Each is far above
 * what a real checkpoint needs (the largest real data.pkl files are a few MB; the largest models a
 * few GB) and every breach raises a CheckpointError that names the limit.
 */
export const LIMITS = {
  /** A pickle (data.pkl, constants.pkl) is read whole, so it is capped. */
  maxPickleBytes: 256 * 1024 * 1024,
  /** Items on the pickle stack at once; real torch pickles stay below a few hundred. */
  maxStackItems: 1_000_000,
  /** Nested MARKs open at once. */
  maxMarkDepth: 10_000,
  /** Memo entries (PUT/MEMOIZE). */
  maxMemoEntries: 10_000_000,
  /** Bytes of an arbitrary-precision integer (LONG1/LONG4/LONG); 64-bit values need 9. */
  maxLongBytes: 64,
  /** Nesting depth when walking a decoded value (unwrapping, module trees): also stops cycles. */
  maxWalkDepth: 256,
  /** Nodes visited by one walk: shared (memoised) sub-values can otherwise explode combinatorially. */
  maxWalkNodes: 1_000_000,
  /**
   * Bytes a tensor may expand to beyond its storage: stride-0 views repeat elements, so a hostile
   * file could otherwise ask for terabytes from a few bytes of storage.
   */
  maxExpandedTensorBytes: 256 * 1024 * 1024,
  /** Dimensions of one tensor. */
  maxRank: 64,
  /** The zip central directory is read in one piece. */
  maxCentralDirectoryBytes: 64 * 1024 * 1024,
  /** A safetensors JSON header (the format's own reference reader allows 100 MB). */
  maxSafetensorsHeaderBytes: 100 * 1000 * 1000,
  /** A deflated zip entry is inflated whole; its declared size must stay under this. */
  maxInflatedEntryBytes: 2 ** 31 - 1,
} as const;
