/**
 * A pickle writer that emits what CPython's `pickle.Pickler` (the C `_pickle` one torch.save
 * subclasses, at protocol 2) emits for the same data, byte for byte: the same opcodes, the same memo numbering, the same
 * batches of 1000. Python memoizes by object identity; here strings and globals are memoized by
 * value (torch's files repeat only interned literals such as 'storage', 'cpu' or 'exp_avg'), and
 * every list, dict, non-empty tuple and reduced object is a new one, as they are in torch.save's
 * state dicts and optimizer states.
 */

/** A Python float (a JS number alone is written as a Python int). */
export interface PyFloat {
  readonly kind: 'float';
  readonly value: number;
}

/** A module-level global, such as a class or torch's rebuild functions. */
export interface PyGlobal {
  readonly kind: 'global';
  readonly module: string;
  readonly name: string;
}

/** An object pickled by __reduce__: func(*args), then its dict items and BUILD state (an OrderedDict's attributes). */
export interface PyReduce {
  readonly kind: 'reduce';
  readonly func: PyGlobal;
  readonly args: readonly Picklable[];
  readonly items?: readonly (readonly [Picklable, Picklable])[];
  readonly state?: Picklable;
}

/** A value the pickle refers to by persistent id (torch's storages). */
export interface PyPersistent {
  readonly kind: 'persistent';
  readonly pid: readonly Picklable[];
}

/** Python data: `readonly Picklable[]` frozen is a tuple (`pyTuple`), a plain array a list, a Map a dict. */
export type Picklable = null | boolean | number | string | PyFloat | PyGlobal | PyReduce | PyPersistent | readonly Picklable[] | ReadonlyMap<Picklable, Picklable>;

export const pyFloat = (value: number): PyFloat => ({ kind: 'float', value });
export const pyGlobal = (module: string, name: string): PyGlobal => ({ kind: 'global', module, name });
export const pyTuple = (...items: Picklable[]): readonly Picklable[] => Object.freeze(items);
export const orderedDict = (items: readonly (readonly [Picklable, Picklable])[], state?: Picklable): PyReduce =>
  ({ kind: 'reduce', func: pyGlobal('collections', 'OrderedDict'), args: pyTuple(), items, ...(state !== undefined && { state }) });

const BATCH = 1000;

const OP = {
  MARK: 0x28, STOP: 0x2e, NONE: 0x4e, NEWTRUE: 0x88, NEWFALSE: 0x89, BININT: 0x4a, BININT1: 0x4b, BININT2: 0x4d,
  BINFLOAT: 0x47, BINUNICODE: 0x58, GLOBAL: 0x63, EMPTY_TUPLE: 0x29, TUPLE: 0x74, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87,
  EMPTY_LIST: 0x5d, APPEND: 0x61, APPENDS: 0x65, EMPTY_DICT: 0x7d, SETITEM: 0x73, SETITEMS: 0x75, REDUCE: 0x52, BUILD: 0x62,
  BINPERSID: 0x51, BINPUT: 0x71, LONG_BINPUT: 0x72, BINGET: 0x68, LONG_BINGET: 0x6a, PROTO: 0x80,
} as const;

const isTupleValue = (v: Picklable): v is readonly Picklable[] => Array.isArray(v) && Object.isFrozen(v);

class Writer {
  private buf = new Uint8Array(1 << 16);
  private length = 0;
  private memoCount = 0;
  private readonly memo = new Map<string, number>();

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  op(...bytes: number[]): void {
    this.reserve(bytes.length);
    for (const b of bytes) this.buf[this.length++] = b;
  }

  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  u32(v: number): void {
    this.op(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }

  /** Memoizes the value just written; `key` memoizes by value (strings, globals), otherwise a new entry nothing refers back to. */
  put(key?: string): void {
    const idx = this.memoCount++;
    if (key !== undefined) this.memo.set(key, idx);
    if (idx < 256) this.op(OP.BINPUT, idx);
    else {
      this.op(OP.LONG_BINPUT);
      this.u32(idx);
    }
  }

  /** Writes a BINGET for a value already memoized; false when it is not. */
  get(key: string): boolean {
    const idx = this.memo.get(key);
    if (idx === undefined) return false;
    if (idx < 256) this.op(OP.BINGET, idx);
    else {
      this.op(OP.LONG_BINGET);
      this.u32(idx);
    }
    return true;
  }
}

const utf8 = new TextEncoder();

function saveInt(w: Writer, v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`pickle: ${v} is not an integer (use pyFloat for floats)`);
  if (v >= 0 && v <= 0xff) w.op(OP.BININT1, v);
  else if (v >= 0 && v <= 0xffff) w.op(OP.BININT2, v & 0xff, v >>> 8);
  else if (v >= -0x80000000 && v <= 0x7fffffff) {
    w.op(OP.BININT);
    w.u32(v >>> 0);
  } else throw new RangeError(`pickle: integer ${v} needs LONG1, which nothing torch.save writes here uses`);
}

function saveFloat(w: Writer, v: number): void {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, v, false);
  w.op(OP.BINFLOAT);
  w.raw(bytes);
}

function saveString(w: Writer, s: string): void {
  const key = `s:${s}`;
  if (w.get(key)) return;
  const bytes = utf8.encode(s);
  w.op(OP.BINUNICODE);
  w.u32(bytes.length);
  w.raw(bytes);
  w.put(key);
}

function saveGlobal(w: Writer, g: PyGlobal): void {
  const key = `g:${g.module}\n${g.name}`;
  if (w.get(key)) return;
  w.op(OP.GLOBAL);
  w.raw(utf8.encode(`${g.module}\n${g.name}\n`));
  w.put(key);
}

/**
 * _pickle.c's batching: runs of up to 1000 behind MARK. A list or dict (`exact`) of one item takes
 * APPEND/SETITEM, and otherwise every run is marked, a last run of one included; items from an
 * iterator (a reduced object's dict items) take SETITEM for any run of one.
 */
function batched<T>(w: Writer, items: readonly T[], one: number, many: number, exact: boolean, save: (item: T) => void): void {
  for (let at = 0; at < items.length; at += BATCH) {
    const chunk = items.slice(at, at + BATCH);
    const marked = exact ? items.length > 1 : chunk.length > 1;
    if (marked) w.op(OP.MARK);
    chunk.forEach(save);
    w.op(marked ? many : one);
  }
}

function save(w: Writer, v: Picklable): void {
  if (v === null) w.op(OP.NONE);
  else if (typeof v === 'boolean') w.op(v ? OP.NEWTRUE : OP.NEWFALSE);
  else if (typeof v === 'number') saveInt(w, v);
  else if (typeof v === 'string') saveString(w, v);
  else if (isTupleValue(v)) saveTuple(w, v);
  else if (Array.isArray(v)) {
    w.op(OP.EMPTY_LIST);
    w.put();
    batched(w, v as readonly Picklable[], OP.APPEND, OP.APPENDS, true, (x) => save(w, x));
  } else if (v instanceof Map) {
    w.op(OP.EMPTY_DICT);
    w.put();
    setItems(w, [...v], true);
  } else {
    const o = v as PyFloat | PyGlobal | PyReduce | PyPersistent;
    if (o.kind === 'float') saveFloat(w, o.value);
    else if (o.kind === 'global') saveGlobal(w, o);
    else if (o.kind === 'persistent') {
      saveTuple(w, o.pid);
      w.op(OP.BINPERSID);
    } else saveReduce(w, o);
  }
}

function saveTuple(w: Writer, items: readonly Picklable[]): void {
  if (items.length === 0) {
    w.op(OP.EMPTY_TUPLE);
    return;
  }
  const short = [OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][items.length - 1];
  if (short === undefined) w.op(OP.MARK);
  for (const x of items) save(w, x);
  w.op(short ?? OP.TUPLE);
  w.put();
}

const setItems = (w: Writer, items: readonly (readonly [Picklable, Picklable])[], exact: boolean): void =>
  batched(w, items, OP.SETITEM, OP.SETITEMS, exact, ([k, x]) => {
    save(w, k);
    save(w, x);
  });

function saveReduce(w: Writer, r: PyReduce): void {
  saveGlobal(w, r.func);
  saveTuple(w, r.args);
  w.op(OP.REDUCE);
  w.put();
  if (r.items) setItems(w, r.items, false);
  if (r.state !== undefined) {
    save(w, r.state);
    w.op(OP.BUILD);
  }
}

/** `pickle.dumps(value, protocol=2)` as CPython writes it. */
export function pickleProtocol2(value: Picklable): Uint8Array {
  const w = new Writer();
  w.op(OP.PROTO, 2);
  save(w, value);
  w.op(OP.STOP);
  return w.bytes();
}
