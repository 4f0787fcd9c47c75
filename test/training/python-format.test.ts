import { expect, it } from 'vitest';
import { pyFloatRepr, pyFormatG } from '../../src/training/index';

it("prints floats as Python's repr (CPython 3.11's outputs)", () => {
  const cases: [number, string][] = [
    [0.1, '0.1'], [1, '1.0'], [1e-5, '1e-05'], [1e16, '1e+16'], [0.9999, '0.9999'], [123.456, '123.456'], [1e15, '1000000000000000.0'],
    [-2.5, '-2.5'], [5e-324, '5e-324'], [0.0001, '0.0001'], [1.7600959539413452, '1.7600959539413452'], [2e-7, '2e-07'], [1e22, '1e+22'],
  ];
  expect(cases.map(([x]) => pyFloatRepr(x))).toEqual(cases.map(([, s]) => s));
});

it("formats as Python's '%-8.3g' (CPython 3.11's outputs), ties to even on the exact value", () => {
  const cases: [number, string][] = [
    [4, '4       '], [0.125, '0.125   '], [12250, '1.22e+04'], [1.2470407485961914, '1.25    '], [0.0001234, '0.000123'], [0.00001234, '1.23e-05'],
    [1234.5, '1.23e+03'], [0, '0       '], [100, '100     '], [999.5, '1e+03   '], [0.011215104721486568, '0.0112  '], [-3.14159, '-3.14   '],
  ];
  expect(cases.map(([x]) => pyFormatG(x, 3).padEnd(8))).toEqual(cases.map(([, s]) => s));
});
