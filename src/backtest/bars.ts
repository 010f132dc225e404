/**
 * The bar tables an execution reads, built once per backtest from the candles: open and close
 * widened to float64, each row's validity and time, and the scored rows.
 */
import type { Candles } from '../candles/index.js';
import { candlesError } from '../candles/fail.js';
import type { BarInputs } from './program.js';

/**
 * A row is valid when every price series the candles have (open, high, low, close) is non-NaN there:
 * a hole (all NaN) or a partial row is not traded, marked or decided on.
 */
export function validRows(candles: Candles): Uint8Array {
  const t = candles.t;
  const valid = new Uint8Array(t);
  const { open, high, low, close } = candles;
  for (let i = 0; i < t; i++) {
    valid[i] =
      Number.isNaN(close[i]!) ||
      (open !== undefined && Number.isNaN(open[i]!)) ||
      (high !== undefined && Number.isNaN(high[i]!)) ||
      (low !== undefined && Number.isNaN(low[i]!))
        ? 0
        : 1;
  }
  return valid;
}

/** Bar inputs over rows [first, end) of the candles, with the operand series given by program index. */
export function barInputs(
  candles: Candles,
  series: readonly Float32Array[],
  first = 0,
  end = candles.t,
  valid = validRows(candles),
): BarInputs {
  const t = candles.t;
  const close = Float64Array.from(candles.close);
  // without an open series, fills at the next open are refused before this is built; NaN marks the absence
  const open = candles.open ? Float64Array.from(candles.open) : new Float64Array(t).fill(Number.NaN);
  const tsMs = new Float64Array(t);
  for (let i = 0; i < t; i++) tsMs[i] = Number(candles.tsOpen[i]!);
  return { t, first, end, open, close, valid, tsMs, series };
}

/**
 * Every valid row's close, and its open when fills happen at the next open, must be a positive
 * number: returns are ratios of prices, and a price of 0 would turn the equity into NaN. The first
 * offending row is refused with its index, time and value.
 */
export function checkPositivePrices(candles: Candles, valid: Uint8Array, needOpen: boolean): void {
  const fields = needOpen && candles.open ? (['close', 'open'] as const) : (['close'] as const);
  for (let i = 0; i < candles.t; i++) {
    if (!valid[i]) continue;
    for (const field of fields) {
      const x = candles[field]![i]!;
      if (x > 0) continue;
      const at = new Date(Number(candles.tsOpen[i])).toISOString();
      throw candlesError(field, 'non_positive_price', `a backtest needs positive prices; row ${i} (${at}) has ${field} ${x}`, {
        index: i,
        value: x,
        expected: '> 0',
      });
    }
  }
}
