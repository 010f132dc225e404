/** The CLI's axis spec grammar (`--param`, `--source` values). */
import { describe, expect, it } from 'vitest';
import { parseAxisSpec } from '../../src/cli/args.js';

describe('CLI axis specs', () => {
  it('reads a range whose bounds are decimals (mult=1.5..2.5:0.5)', () => {
    expect(parseAxisSpec('volatility.bbands', 'mult', '1.5..2.5:0.5')).toEqual({ mode: 'range', start: 1.5, stopIncl: 2.5, step: 0.5 });
    expect(parseAxisSpec('volatility.bbands', 'mult', '0.5..4')).toEqual({ mode: 'range', start: 0.5, stopIncl: 4, step: 0.01 });
    expect(parseAxisSpec('ma.ema', 'window', '5..200:5')).toEqual({ mode: 'range', start: 5, stopIncl: 200, step: 5 });
  });
});
