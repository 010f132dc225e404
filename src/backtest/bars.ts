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
  const close = new Float64Array(candles.close);
  // without an open series, fills at the next open are refused before this is built; NaN marks the absence
  const open = candles.open ? new Float64Array(candles.open) : new Float64Array(t).fill(Number.NaN);
  return { t, first, end, open, close, valid, tsMs: millisAsNumbers(candles.tsOpen), series };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Int64 milliseconds as float64, each exactly Number(x): from the two 32-bit halves, hi·2³² + lo
 * (lo unsigned) is x itself, so its one rounding is Number's (and exact below 2⁵³). Converting
 * through a BigInt per row costs ten times as much.
 */
export function millisAsNumbers(ts: BigInt64Array): Float64Array {
  const out = new Float64Array(ts.length);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < ts.length; i++) out[i] = Number(ts[i]!);
    return out;
  }
  const halves = new Int32Array(ts.buffer, ts.byteOffset, ts.length * 2);
  for (let i = 0; i < ts.length; i++) out[i] = halves[2 * i + 1]! * 4294967296 + (halves[2 * i]! >>> 0);
  return out;
}

/**
 * Every valid row's close, and its open when fills happen at the next open, must be a positive
 * number: returns are ratios of prices, and a price of 0 would turn the equity into NaN. The first
 * offending row is refused with its index, time and value.
 */
export function checkPositivePrices(candles: Candles, valid: Uint8Array, needOpen: boolean): void {
  const { close, open } = candles;
  const t = candles.t;
  for (let i = 0; i < t; i++) {
    // a valid row has every price; a NaN fails x > 0 too
    if (valid[i] && !(close[i]! > 0 && (!needOpen || open === undefined || open[i]! > 0))) {
      const field = close[i]! > 0 ? 'open' : 'close';
      const x = candles[field]![i]!;
      const at = new Date(Number(candles.tsOpen[i])).toISOString();
      throw candlesError(field, 'non_positive_price', `a backtest needs positive prices; row ${i} (${at}) has ${field} ${x}`, {
        index: i,
        value: x,
        expected: '> 0',
      });
    }
  }
}
