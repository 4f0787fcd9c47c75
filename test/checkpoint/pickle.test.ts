import { describe, expect, it } from 'vitest';
import { unpickle } from '../../src/checkpoint/pickle';
import { isTuple, type PyValue } from '../../src/checkpoint/pickle-values';
import { torchGlobal } from '../../src/checkpoint/torch-globals';
import { PickleWriter } from './helpers/pickle-writer';

const hooks = {
  findGlobal: torchGlobal,
  persistentLoad: (pid: PyValue): PyValue => ['pid', pid],
};

const load = (bytes: Uint8Array): PyValue => unpickle(bytes, hooks, 'test.pkl');

const fails = (bytes: Uint8Array, message: string | RegExp): void => {
  let caught: unknown;
  try {
    load(bytes);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(Error);
  expect((caught as Error).name).toBe('CheckpointError');
  expect((caught as Error).message).toMatch(message);
};

const w = (): PickleWriter => new PickleWriter().proto(2);

describe('pickle machine: values', () => {
  it('decodes integers of every width, including negative and big ones', () => {
    const out = load(w().mark().int(7).int(300).int(-5).int(70000).int(2n ** 40n).int(-(2n ** 40n)).int(2n ** 70n).tuple().stop().bytes());
    expect(out).toEqual([7, 300, -5, 70000, 2 ** 40, -(2 ** 40), 2n ** 70n]);
    expect(isTuple(out)).toBe(true);
  });

  it('decodes strings, floats, bools, None, bytes, lists and dicts', () => {
    const p = new PickleWriter().proto(3).emptyList().str('héllo').append()
      .raw(0x47, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18).append()
      .emptyDict().str('k').none().setitem().append().bool(true).append()
      .raw(0x43, 2, 9, 8).append().stop().bytes();
    expect(load(p)).toEqual(['héllo', Math.PI, new Map([['k', null]]), true, Uint8Array.from([9, 8])]);
  });

  it('shares memoised values by identity (PUT/GET) and supports MEMOIZE and FRAME (protocol 4)', () => {
    const frame = [0x95, 20, 0, 0, 0, 0, 0, 0, 0];
    const out = new PickleWriter().proto(4).raw(...frame).emptyList().raw(0x94).mark().raw(0x68, 0).raw(0x68, 0).tuple().stop().bytes();
    const value = load(out) as PyValue[][];
    expect(value).toHaveLength(2);
    expect(value[0]).toBe(value[1]);
  });

  it('builds OrderedDict and torch.Size through allow-listed globals', () => {
    const out = load(w().mark().global('collections', 'OrderedDict').emptyTuple().reduce().str('a').int(1).setitem()
      .global('torch', 'Size').mark().ints([2, 3]).tuple().reduce().tuple().stop().bytes());
    expect(out).toEqual([new Map([['a', 1]]), [2, 3]]);
  });

  it('turns a TorchScript class into a plain record via NEWOBJ + BUILD', () => {
    const out = load(w().global('__torch__.model', 'CLIP').emptyTuple().newobj().emptyDict().str('training').bool(false).setitem().build().stop().bytes());
    expect(out).toMatchObject({ kind: 'torchscript-object', qualname: '__torch__.model.CLIP', state: new Map([['training', false]]) });
  });

  it('passes persistent ids to the hook', () => {
    expect(load(w().mark().str('storage').int(1).tuple().binpersid().stop().bytes())).toEqual(['pid', ['storage', 1]]);
  });
});

describe('pickle machine: hostile input', () => {
  it.each([
    ['os', 'system', "refusing global 'os.system'"],
    ['posix', 'system', "refusing global 'posix.system'"],
    ['nt', 'system', "refusing global 'nt.system'"],
    ['builtins', 'exec', "refusing global 'builtins.exec'"],
    ['builtins', 'eval', "refusing global 'builtins.eval'"],
    ['builtins', 'getattr', "refusing global 'builtins.getattr'"],
    ['builtins', '__import__', "refusing global 'builtins.__import__'"],
    ['subprocess', 'Popen', "refusing global 'subprocess.Popen'"],
    ['subprocess', 'check_output', "refusing global 'subprocess.check_output'"],
    ['torch', 'load', "refusing global 'torch.load'"],
    ['numpy.core.multiarray', '_reconstruct', "refusing global 'numpy.core.multiarray._reconstruct'"],
    ['__torch__.x', '__init__; import os', "refusing global '__torch__.x.__init__; import os'"],
  ])('refuses GLOBAL %s.%s', (module, name, message) => {
    fails(w().global(module, name).mark().str('echo pwned').tuple().reduce().stop().bytes(), message);
  });

  it('refuses STACK_GLOBAL to os.system', () => {
    fails(new PickleWriter().proto(4).str('os').str('system').raw(0x93).stop().bytes(), "refusing global 'os.system'");
  });

  it('refuses REDUCE on a value that is not an allow-listed callable (nested reduce tricks)', () => {
    // REDUCE(REDUCE(OrderedDict, ()), ('x',)): calling what a call returned.
    fails(w().global('collections', 'OrderedDict').emptyTuple().reduce().mark().str('x').tuple().reduce().stop().bytes(), /REDUCE on dict, which is not an allow-listed callable/);
    fails(w().str('os.system').mark().str('id').tuple().reduce().stop().bytes(), /REDUCE on str/);
  });

  it('refuses to call a TorchScript class with REDUCE, and BUILD on a plain value', () => {
    fails(w().global('__torch__.m', 'M').emptyTuple().reduce().stop().bytes(), 'calling TorchScript class __torch__.m.M is not supported');
    fails(w().str('x').emptyDict().build().stop().bytes(), 'BUILD on str is not allowed');
  });

  it('refuses calling torch.Tensor directly and rebuild-from-type with foreign types', () => {
    fails(w().global('torch', 'Tensor').emptyTuple().reduce().stop().bytes(), 'calling torch.Tensor is not supported');
    fails(w().global('torch._tensor', '_rebuild_from_type_v2').mark().global('torch', 'Size').global('torch', 'Size').emptyTuple().emptyDict().tuple().reduce().stop().bytes(), 'only plain tensors and parameters');
  });

  it('stops deep MARK recursion at the limit instead of overflowing', () => {
    const p = w();
    for (let i = 0; i < 20_000; i++) p.mark();
    fails(p.stop().bytes(), 'MARKs nest deeper than 10000');
  });

  it('survives deeply nested lists built without MARK (no recursion in the machine)', () => {
    const p = w();
    for (let i = 0; i < 100_000; i++) p.emptyList();
    for (let i = 0; i < 99_999; i++) p.append();
    let v = load(p.stop().bytes());
    let depth = 0;
    while (Array.isArray(v) && v.length) {
      v = v[0]!;
      depth++;
    }
    expect(depth).toBe(99_999);
  });

  it('rejects memo abuse: GET of a key never stored, PUT with nothing on the stack', () => {
    fails(w().get(123456).stop().bytes(), 'memo key 123456 was never stored');
    fails(w().put(1).stop().bytes(), 'stack underflow');
  });

  it('rejects absurd lengths and oversized integers', () => {
    fails(w().raw(0x58, 0xff, 0xff, 0xff, 0x7f).stop().bytes(), /needs 2147483647 more bytes but the pickle ends/);
    fails(w().raw(0x8d, 0, 0, 0, 0, 0, 0, 0, 0x7f).stop().bytes(), /length .* is absurd/);
    fails(w().raw(0x8b, 0, 0, 0, 0x40).stop().bytes(), 'integer of 1073741824 bytes exceeds the 64-byte limit');
    fails(w().raw(0x8b, 0xff, 0xff, 0xff, 0xff).stop().bytes(), 'integer of -1 bytes');
  });

  it('rejects stack underflow, STOP inside a MARK, missing STOP, unknown opcodes and protocol 6', () => {
    fails(w().op('a').stop().bytes(), 'stack underflow');
    fails(w().mark().stop().bytes(), 'STOP inside an open MARK');
    fails(w().none().bytes(), 'pickle ends without STOP at byte offset 3 (truncated)');
    fails(w().raw(0xff).bytes(), /unsupported or unknown opcode \(opcode 0xff at byte offset 2\)/);
    fails(new PickleWriter().proto(6).stop().bytes(), 'unsupported pickle protocol 6');
    fails(w().raw(0x97).stop().bytes(), /unknown opcode \(opcode 0x97/);
  });

  it('rejects items stored into the wrong container', () => {
    fails(w().emptyTuple().none().append().stop().bytes(), 'cannot append to tuple');
    fails(w().emptyList().none().none().setitem().stop().bytes(), 'cannot set items on list');
    fails(w().emptyDict().mark().none().setitems().stop().bytes(), 'odd number of items for SETITEMS');
  });

  it('rejects malformed UTF-8 and text opcodes without a newline', () => {
    fails(w().raw(0x58, 2, 0, 0, 0, 0xc3, 0x28).stop().bytes(), 'string at byte offset 7 is not valid UTF-8');
    fails(w().raw(0x63).raw(...new TextEncoder().encode('os')).bytes(), 'text argument has no newline (truncated)');
  });
});
