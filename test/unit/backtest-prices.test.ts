/**
 * A backtest over a bar whose close (or open, with fills at the next open) is not positive is
 * refused with the row and the value: a percentage return from a price of 0 has no meaning, and
 * the mark would divide by it (0/0 = NaN equity) without an error.
 */
import { describe, expect, it } from 'vitest';
import { createCandles } from '../../src/candles/index.js';
import { CandlesValidationError } from '../../src/errors.js';
import { engineOf } from '../helpers/engine.js';
import { rejection } from '../helpers/errors.js';

const engine = engineOf('reference');
const closes = [10, 11, 12, 11, 10, 9, 10, 11, 12, 13, 14, 13];
function candles(close: number[], open = close): ReturnType<typeof createCandles> {
  return createCandles({
    instrumentId: 'test:PRICES',
    timeframe: '1d',
    tsOpen: close.map((_, i) => Date.UTC(2024, 0, 1 + i)),
    open,
    high: close.map((c, i) => Math.max(c, open[i]!)),
    low: close.map((c, i) => Math.min(c, open[i]!)),
    close,
  });
}
const strategy = { id: 'ma_cross', params: { fast: [2], slow: [3] } };

describe('non-positive prices', () => {
  it('a close of 0 is refused with its row and value', async () => {
    const c = [...closes];
    c[6] = 0;
    const e = await rejection(engine.backtest({ candles: candles(c), strategy }), CandlesValidationError);
    expect(e.details).toMatchObject({ field: 'close', reason: 'non_positive_price', index: 6, value: 0 });
  });

  it('a negative open is refused with fills at the next open, and accepted with fills at the close', async () => {
    const o = [...closes];
    o[4] = -1;
    const e = await rejection(engine.backtest({ candles: candles(closes, o), strategy }), CandlesValidationError);
    expect(e.details).toMatchObject({ field: 'open', reason: 'non_positive_price', index: 4, value: -1 });
    const r = await engine.backtest({ candles: candles(closes, o), strategy, execution: { fill: 'close' } });
    expect(r.variants).toBe(1);
    expect(Number.isFinite(r.metrics.total_return[0]!)).toBe(true);
  });
});
