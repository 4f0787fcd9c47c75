import { expect, it } from 'vitest';
import { appendCsvRow, csvLog, dumpKvs, humanTable, kvAccumulator, logKv, logLossDict } from '../../src/training/index';

it("writes log.txt's tables and progress.csv as the seed's logger.py does (its output for the same calls)", () => {
  const acc = kvAccumulator();
  const csv = csvLog();
  acc.values.set('vb', { value: 0.011215104721486568, isInt: false });
  acc.values.set('loss', { value: 1.2470407485961914, isInt: false });
  logKv(acc, 'step', 0, true);
  logKv(acc, 'samples', 4, true);
  const first = dumpKvs(acc);
  expect(humanTable(first)).toBe([
    '----------------------',
    '| loss    | 1.25     |',
    '| samples | 4        |',
    '| step    | 0        |',
    '| vb      | 0.0112   |',
    '----------------------', '',
  ].join('\n'));
  expect(appendCsvRow(csv, first)).toBe('loss,samples,step,vb\n1.2470407485961914,4,0,0.011215104721486568\n');
  acc.values.set('a_very_long_key_name_that_is_truncated', { value: 12250, isInt: false });
  logKv(acc, 'step', 1, true);
  expect(humanTable(dumpKvs(acc))).toBe([
    '---------------------------------------------',
    '| a_very_long_key_name_that_i... | 1.22e+04 |',
    '| step                           | 1        |',
    '---------------------------------------------', '',
  ].join('\n'));
  // A new key becomes a column: the header is rewritten and the earlier rows padded.
  acc.values.set('vb_q3', { value: 2.5, isInt: false });
  logKv(acc, 'step', 2, true);
  expect(appendCsvRow(csv, dumpKvs(acc))).toBe('loss,samples,step,vb,vb_q3\n1.2470407485961914,4,0,0.011215104721486568,\n,,2,,2.5\n');
});

it("logs each loss term's mean and each sample under its timestep's quartile (log_loss_dict), means running as logkv_mean's", () => {
  const acc = kvAccumulator();
  logLossDict(acc, 1000, [10, 600, 260], { vb: [0.5, 0.25, 1], mse: [1, 2, 3], loss: [1.5, 2.25, 4] });
  logLossDict(acc, 1000, [999], { vb: [0.125], mse: [4], loss: [4.125] });
  const row = dumpKvs(acc);
  expect(row.get('mse')!.value).toBe(2 / 2 + 4 / 2);
  expect(row.get('vb_q0')!.value).toBe(0.5);
  expect(row.get('vb_q2')!.value).toBe(0.25);
  expect(row.get('loss_q3')!.value).toBe(4.125);
  expect([...row.keys()].sort()).toEqual(['loss', 'loss_q0', 'loss_q1', 'loss_q2', 'loss_q3', 'mse', 'mse_q0', 'mse_q1', 'mse_q2', 'mse_q3', 'vb', 'vb_q0', 'vb_q1', 'vb_q2', 'vb_q3']);
  expect(acc.values.size).toBe(0);
});
