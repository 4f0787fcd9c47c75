import { CheckpointError } from '../errors';
import { LIMITS } from './limits';
import {
  isBuildable, isCallable, isDict, isList, isTuple, setDictAttributes, tuple, typeName, type PyCallable, type PyDict, type PyValue,
} from './pickle-values';
import { decodeLatin1, decodeUtf8 } from './utf8';

/**
 * The pickle ran past the end of the bytes it was given. A caller that gave only the start of a file
 * (torch's legacy format, whose pickles have no stated length) reads more and tries again.
 */
export class PickleTruncatedError extends CheckpointError {
  /** How far into the bytes the machine needed to read; past their end. */
  constructor(message: string, readonly neededEnd: number) {
    super(message);
  }
}

/** How a caller resolves what a pickle refers to. `findGlobal` throws for anything not allow-listed. */
export interface PickleHooks {
  findGlobal(module: string, name: string): PyValue;
  persistentLoad(pid: PyValue): PyValue;
}

/**
 * A restricted pickle machine for protocols 2–5 (and the protocol-0/1 opcodes torch still emits).
 * It is a stack machine over data only: globals come from `hooks.findGlobal`, REDUCE/NEWOBJ/BUILD
 * only reach allow-listed handlers, and every size it is told is checked against the bytes it has.
 */
class Machine {
  pos = 0;
  opPos = 0;
  readonly stack: PyValue[] = [];
  readonly marks: number[] = [];
  readonly memo = new Map<number, PyValue>();
  readonly view: DataView;

  constructor(readonly bytes: Uint8Array, readonly hooks: PickleHooks, readonly what: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private message(text: string): string {
    const op = this.bytes[this.opPos] ?? 0;
    return `${this.what}: ${text} (opcode 0x${op.toString(16).padStart(2, '0')} at byte offset ${this.opPos})`;
  }

  fail(text: string): never {
    throw new CheckpointError(this.message(text));
  }

  failTruncated(text: string, neededEnd: number): never {
    throw new PickleTruncatedError(this.message(text), neededEnd);
  }

  need(n: number): number {
    if (n > this.bytes.length - this.pos) this.failTruncated(`needs ${n} more bytes but the pickle ends at byte offset ${this.bytes.length} (truncated)`, this.pos + n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8 = (): number => this.view.getUint8(this.need(1));
  u16 = (): number => this.view.getUint16(this.need(2), true);
  u32 = (): number => this.view.getUint32(this.need(4), true);
  i32 = (): number => this.view.getInt32(this.need(4), true);
  u64 = (): number => {
    const at = this.need(8);
    const value = this.view.getUint32(at, true) + this.view.getUint32(at + 4, true) * 2 ** 32;
    return Number.isSafeInteger(value) ? value : this.fail(`length ${value} is absurd`);
  };

  take(n: number): Uint8Array {
    const at = this.need(n);
    return this.bytes.subarray(at, at + n);
  }

  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.failTruncated(`text argument has no newline (truncated): the pickle ends at byte offset ${this.bytes.length}`, this.bytes.length + 1);
    return decodeLatin1(this.take(end - this.pos + 1).subarray(0, -1));
  }

  push(v: PyValue): void {
    if (this.stack.length >= LIMITS.maxStackItems) this.fail(`stack grows past ${LIMITS.maxStackItems} items`);
    this.stack.push(v);
  }

  pop(): PyValue {
    if (this.stack.length <= (this.marks.at(-1) ?? 0)) this.fail('stack underflow');
    return this.stack.pop()!;
  }

  top(): PyValue {
    if (this.stack.length <= (this.marks.at(-1) ?? 0)) this.fail('stack underflow');
    return this.stack[this.stack.length - 1]!;
  }

  mark(): void {
    if (this.marks.length >= LIMITS.maxMarkDepth) this.fail(`MARKs nest deeper than ${LIMITS.maxMarkDepth}`);
    this.marks.push(this.stack.length);
  }

  popMark(): PyValue[] {
    const at = this.marks.pop();
    if (at === undefined) this.fail('no MARK to pop to');
    return this.stack.splice(at);
  }

  memoGet(key: number): void {
    if (!this.memo.has(key)) this.fail(`memo key ${key} was never stored`);
    this.push(this.memo.get(key)!);
  }

  memoPut(key: number): void {
    if (!Number.isSafeInteger(key) || key < 0) this.fail(`invalid memo key ${key}`);
    if (this.memo.size >= LIMITS.maxMemoEntries && !this.memo.has(key)) this.fail(`memo grows past ${LIMITS.maxMemoEntries} entries`);
    this.memo.set(key, this.top());
  }

  popCallable(opname: string): PyCallable {
    const f = this.pop();
    return isCallable(f) ? f : this.fail(`${opname} on ${typeName(f)}, which is not an allow-listed callable`);
  }

  popTuple(opname: string): PyValue[] {
    const args = this.pop();
    return isTuple(args) ? args : this.fail(`${opname} arguments must be a tuple, got ${typeName(args)}`);
  }

  dictTarget(): PyDict {
    const d = this.top();
    return isDict(d) ? d : this.fail(`cannot set items on ${typeName(d)}`);
  }

  listTarget(): PyValue[] {
    const l = this.top();
    return isList(l) ? l : this.fail(`cannot append to ${typeName(l)}`);
  }
}

/** Little-endian two's-complement integer of LONG1/LONG4; a JS number when it fits. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(8 * bytes.length);
  return normaliseInt(v);
}

const normaliseInt = (v: bigint): number | bigint =>
  v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;

function parseTextInt(m: Machine, text: string): number | bigint {
  const digits = text.endsWith('L') ? text.slice(0, -1) : text;
  if (!/^[-+]?\d{1,40}$/.test(digits)) m.fail(`invalid integer literal '${text.slice(0, 40)}'`);
  return normaliseInt(BigInt(digits));
}

function readLong(m: Machine, n: number): number | bigint {
  if (n < 0 || n > LIMITS.maxLongBytes) m.fail(`integer of ${n} bytes exceeds the ${LIMITS.maxLongBytes}-byte limit`);
  return decodeLong(m.take(n));
}

function setItems(m: Machine, items: PyValue[]): void {
  if (items.length % 2 !== 0) m.fail('odd number of items for SETITEMS');
  const d = m.dictTarget();
  for (let i = 0; i < items.length; i += 2) d.set(items[i]!, items[i + 1]!);
}

function build(m: Machine): void {
  const state = m.pop();
  const target = m.top();
  if (isBuildable(target)) {
    target.build(state);
    return;
  }
  // torch gives every state dict (an OrderedDict) a `_metadata` attribute this way: kept aside, not data.
  if (isDict(target) && (isDict(state) || isTuple(state))) {
    setDictAttributes(target, state);
    return;
  }
  m.fail(`BUILD on ${typeName(target)} is not allowed`);
}

function newObject(m: Machine, withKwargs: boolean): void {
  const kwargs = withKwargs ? m.pop() : new Map();
  if (!isDict(kwargs) || kwargs.size > 0) m.fail('NEWOBJ_EX with keyword arguments is not supported');
  const args = m.popTuple('NEWOBJ');
  const cls = m.popCallable('NEWOBJ');
  m.push(cls.construct ? cls.construct(args) : cls.call(args));
}

const global = (m: Machine, module: string, name: string): void => m.push(m.hooks.findGlobal(module, name));

function stackGlobal(m: Machine): void {
  const name = m.pop();
  const module = m.pop();
  if (typeof name !== 'string' || typeof module !== 'string') m.fail('STACK_GLOBAL needs two strings');
  global(m, module, name);
}

function utf8(m: Machine, n: number): string {
  const at = m.pos;
  return decodeUtf8(m.take(n), `${m.what}: string at byte offset ${at}`);
}

type Op = (m: Machine) => void;

const c = (ch: string): number => ch.charCodeAt(0);

const OPS = new Map<number, Op>([
  [0x80, (m) => { const v = m.u8(); if (v > 5) m.fail(`unsupported pickle protocol ${v}`); }],
  [0x95, (m) => void m.u64()],
  [c('('), (m) => m.mark()],
  [c('0'), (m) => (m.stack.length === m.marks.at(-1) ? m.popMark() : m.pop())],
  [c('1'), (m) => void m.popMark()],
  [c('2'), (m) => m.push(m.top())],
  [c('N'), (m) => m.push(null)],
  [0x88, (m) => m.push(true)],
  [0x89, (m) => m.push(false)],
  [c('I'), (m) => { const t = m.line(); m.push(t === '01' ? true : t === '00' ? false : parseTextInt(m, t)); }],
  [c('J'), (m) => m.push(m.i32())],
  [c('K'), (m) => m.push(m.u8())],
  [c('M'), (m) => m.push(m.u16())],
  [c('L'), (m) => m.push(parseTextInt(m, m.line()))],
  [0x8a, (m) => m.push(readLong(m, m.u8()))],
  [0x8b, (m) => m.push(readLong(m, m.i32()))],
  [c('F'), (m) => { const t = m.line(); const v = Number(t); if (t.trim() === '' || Number.isNaN(v) && !/nan/i.test(t)) m.fail(`invalid float literal '${t.slice(0, 40)}'`); m.push(v); }],
  [c('G'), (m) => m.push(m.view.getFloat64(m.need(8), false))],
  [c('T'), (m) => { const n = m.i32(); if (n < 0) m.fail(`negative length ${n}`); m.push(decodeLatin1(m.take(n))); }],
  [c('U'), (m) => m.push(decodeLatin1(m.take(m.u8())))],
  [c('X'), (m) => m.push(utf8(m, m.u32()))],
  [0x8c, (m) => m.push(utf8(m, m.u8()))],
  [0x8d, (m) => m.push(utf8(m, m.u64()))],
  [c('B'), (m) => m.push(new Uint8Array(m.take(m.u32())))],
  [c('C'), (m) => m.push(new Uint8Array(m.take(m.u8())))],
  [0x8e, (m) => m.push(new Uint8Array(m.take(m.u64())))],
  [0x96, (m) => m.push(new Uint8Array(m.take(m.u64())))],
  [c(']'), (m) => m.push([])],
  [c('a'), (m) => { const v = m.pop(); m.listTarget().push(v); }],
  [c('e'), (m) => { const items = m.popMark(); m.listTarget().push(...items); }],
  [c('l'), (m) => m.push(m.popMark())],
  [c(')'), (m) => m.push(tuple([]))],
  [c('t'), (m) => m.push(tuple(m.popMark()))],
  [0x85, (m) => m.push(tuple([m.pop()]))],
  [0x86, (m) => { const b = m.pop(); m.push(tuple([m.pop(), b])); }],
  [0x87, (m) => { const cc = m.pop(); const b = m.pop(); m.push(tuple([m.pop(), b, cc])); }],
  [c('}'), (m) => m.push(new Map())],
  [c('d'), (m) => { const items = m.popMark(); m.push(new Map()); setItems(m, items); }],
  [c('s'), (m) => { const v = m.pop(); const k = m.pop(); m.dictTarget().set(k, v); }],
  [c('u'), (m) => setItems(m, m.popMark())],
  [0x8f, (m) => m.push([])],
  [0x90, (m) => { const items = m.popMark(); m.listTarget().push(...items); }],
  [0x91, (m) => m.push(tuple(m.popMark()))],
  [c('g'), (m) => m.memoGet(Number(parseTextInt(m, m.line())))],
  [c('h'), (m) => m.memoGet(m.u8())],
  [c('j'), (m) => m.memoGet(m.u32())],
  [c('p'), (m) => m.memoPut(Number(parseTextInt(m, m.line())))],
  [c('q'), (m) => m.memoPut(m.u8())],
  [c('r'), (m) => m.memoPut(m.u32())],
  [0x94, (m) => m.memoPut(m.memo.size)],
  [c('c'), (m) => { const module = m.line(); global(m, module, m.line()); }],
  [0x93, stackGlobal],
  [c('R'), (m) => { const args = m.popTuple('REDUCE'); m.push(m.popCallable('REDUCE').call(args)); }],
  [0x81, (m) => newObject(m, false)],
  [0x92, (m) => newObject(m, true)],
  [c('b'), build],
  [c('Q'), (m) => m.push(m.hooks.persistentLoad(m.pop()))],
  [c('P'), (m) => m.push(m.hooks.persistentLoad(m.line()))],
]);

/**
 * Unpickles the pickle that starts at `start` in `bytes` (named `what` in errors; offsets in them
 * count from the start of `bytes`) and says where it ended: torch's legacy format puts several
 * pickles back to back, each with its own memo.
 */
export function unpickleAt(bytes: Uint8Array, start: number, hooks: PickleHooks, what: string): { value: PyValue; end: number } {
  if (bytes.length - start > LIMITS.maxPickleBytes) throw new CheckpointError(`${what}: pickle of ${bytes.length - start} bytes exceeds the ${LIMITS.maxPickleBytes}-byte limit`);
  const m: Machine = new Machine(bytes, hooks, what);
  m.pos = start;
  while (m.pos < bytes.length) {
    m.opPos = m.pos;
    const code = m.u8();
    if (code === c('.')) {
      if (m.marks.length > 0) m.fail('STOP inside an open MARK');
      return { value: m.pop(), end: m.pos };
    }
    const op = OPS.get(code);
    if (!op) m.fail(`unsupported or unknown opcode`);
    op(m);
  }
  m.opPos = bytes.length;
  throw new PickleTruncatedError(`${what}: pickle ends without STOP at byte offset ${bytes.length} (truncated)`, bytes.length + 1);
}

/** Unpickles `bytes` (named `what` in errors) with the given hooks. */
export const unpickle = (bytes: Uint8Array, hooks: PickleHooks, what: string): PyValue => unpickleAt(bytes, 0, hooks, what).value;
