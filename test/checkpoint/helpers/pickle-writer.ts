/**
 * A tiny pickle opcode writer for building test inputs (valid and hostile) without Python. Each
 * method appends one opcode (or a short standard sequence) and returns `this`.
 */
export class PickleWriter {
  private readonly out: number[] = [];

  raw(...bytes: number[]): this {
    return this.rawBytes(bytes);
  }

  /** Like `raw`, for byte runs too long to spread into arguments (long names). */
  rawBytes(bytes: Iterable<number>): this {
    for (const b of bytes) this.out.push(b);
    return this;
  }

  op(ch: string): this {
    return this.raw(ch.charCodeAt(0));
  }

  private u32(n: number): number[] {
    return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
  }

  proto(version = 2): this {
    return this.raw(0x80, version);
  }

  /** The shortest integer opcode for n, as Python's pickler chooses it. */
  int(n: number | bigint): this {
    const v = BigInt(n);
    if (v >= 0n && v < 256n) return this.raw(0x4b, Number(v));
    if (v >= 0n && v < 65536n) return this.raw(0x4d, Number(v) & 0xff, Number(v) >> 8);
    if (v >= -(2n ** 31n) && v < 2n ** 31n) return this.raw(0x4a, ...this.u32(Number(v)));
    return this.long1(v);
  }

  /** LONG1 whatever the value, as Python 2 pickled a `long` (torch's numels). */
  long1(n: number | bigint): this {
    const v = BigInt(n);
    const bytes: number[] = [];
    let x = v;
    const done = (): boolean => (x === 0n && (bytes.at(-1)! & 0x80) === 0) || (x === -1n && (bytes.at(-1)! & 0x80) !== 0);
    do {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
    } while (!done());
    return this.raw(0x8a, bytes.length, ...bytes);
  }

  str(s: string): this {
    const bytes = new TextEncoder().encode(s);
    return this.raw(0x58, ...this.u32(bytes.length)).rawBytes(bytes);
  }

  /** SHORT_BINSTRING: a Python 2 `str` (bytes, read as Latin-1). */
  binstring(s: string): this {
    const bytes = [...s].map((ch) => ch.charCodeAt(0));
    return this.raw(0x55, bytes.length, ...bytes);
  }

  global(module: string, name: string): this {
    return this.raw(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }

  mark = (): this => this.op('(');
  tuple = (): this => this.op('t');
  emptyTuple = (): this => this.op(')');
  emptyDict = (): this => this.op('}');
  emptyList = (): this => this.op(']');
  setitem = (): this => this.op('s');
  setitems = (): this => this.op('u');
  append = (): this => this.op('a');
  appends = (): this => this.op('e');
  tuple1 = (): this => this.raw(0x85);
  reduce = (): this => this.op('R');
  build = (): this => this.op('b');
  newobj = (): this => this.raw(0x81);
  binpersid = (): this => this.op('Q');
  none = (): this => this.op('N');
  bool = (b: boolean): this => this.raw(b ? 0x88 : 0x89);
  stop = (): this => this.op('.');
  put = (i: number): this => this.raw(0x72, ...this.u32(i));
  get = (i: number): this => this.raw(0x6a, ...this.u32(i));

  /** `(a, b, ...)` of integers. */
  ints(values: readonly number[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}
