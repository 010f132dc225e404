/**
 * Reading one timestamp or one value (CSV and Arrow loaders). Both readers are strict: anything they
 * cannot convert exactly is refused with a short explanation, never rounded or guessed.
 */
import type { TsUnit } from './types.js';

/** A converted cell, or why it could not be converted. */
export type CellResult = { ok: true; value: number } | { ok: false; reason: 'bad_timestamp' | 'not_a_number' | 'non_finite'; why: string };

const refuse = (reason: 'bad_timestamp' | 'not_a_number' | 'non_finite', why: string): CellResult => ({ ok: false, reason, why });

/** Units per millisecond, as a divisor (us, ns) or a multiplier (s). */
const UNIT_SCALE: Readonly<Record<TsUnit, { mul: bigint; div: bigint }>> = {
  s: { mul: 1000n, div: 1n },
  ms: { mul: 1n, div: 1n },
  us: { mul: 1n, div: 1000n },
  ns: { mul: 1n, div: 1_000_000n },
};

export const TS_UNITS: readonly TsUnit[] = ['ms', 's', 'us', 'ns'];

const MAX_MS = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer count of `unit` as exact epoch ms; us/ns must be whole ms. */
export function integerToMs(count: bigint, unit: TsUnit): CellResult {
  const { mul, div } = UNIT_SCALE[unit];
  if (count % div !== 0n) return refuse('bad_timestamp', `is not a whole number of ms in unit ${unit}`);
  const ms = (count * mul) / div;
  if (ms > MAX_MS || ms < -MAX_MS) return refuse('bad_timestamp', 'is out of range (beyond ±2^53 ms)');
  return { ok: true, value: Number(ms) };
}

const INTEGER = /^[+-]?\d+$/;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * A timestamp cell: an integer in `unit`, an ISO-8601 date-time with `Z` or an offset, or a date
 * `YYYY-MM-DD` (UTC midnight). Leading and trailing white space is ignored.
 */
export function parseTimestampText(text: string, unit: TsUnit): CellResult {
  const s = text.trim();
  if (s === '') return refuse('bad_timestamp', 'is empty');
  if (INTEGER.test(s)) return integerToMs(BigInt(s), unit);
  const m = ISO.exec(s);
  if (m === null) return refuse('bad_timestamp', `is neither an integer (${unit}) nor an ISO-8601 date or date-time`);
  const [, y, mo, d, hh, mi, ss, frac, zone] = m;
  if (hh !== undefined && zone === undefined)
    return refuse('bad_timestamp', 'is a date-time without a zone (add Z or an offset such as +02:00)');
  return isoToMs(+y!, +mo!, +d!, +(hh ?? 0), +(mi ?? 0), +(ss ?? 0), frac ?? '', zone ?? 'Z');
}

function isoToMs(y: number, mo: number, d: number, hh: number, mi: number, ss: number, frac: string, zone: string): CellResult {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return refuse('bad_timestamp', 'is not a calendar date');
  if (hh > 23 || mi > 59 || ss > 59) return refuse('bad_timestamp', 'is not a time of day');
  if (/[1-9]/.test(frac.slice(3))) return refuse('bad_timestamp', 'has fractional seconds finer than 1 ms');
  const ms = frac === '' ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  const offsetMin = zoneOffsetMinutes(zone);
  if (offsetMin === null) return refuse('bad_timestamp', 'has an invalid zone offset');
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d); // unlike Date.UTC, keeps years 0..99 as given
  date.setUTCHours(hh, mi, ss, ms);
  const value = date.getTime() - offsetMin * 60_000;
  return Number.isSafeInteger(value) ? { ok: true, value } : refuse('bad_timestamp', 'is out of range');
}

function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(mo) ? 30 : 31;
}

/** Minutes east of UTC for `Z`, `±HH`, `±HHMM` or `±HH:MM`; null when out of range. */
function zoneOffsetMinutes(zone: string): number | null {
  if (zone === 'Z' || zone === 'z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (h > 23 || m > 59) return null;
  return (zone[0] === '-' ? -1 : 1) * (h * 60 + m);
}

/** Plain decimal or exponent notation, nothing else (no hex, no `Infinity`, no empty string). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const MISSING = new Set(['', 'nan', 'NaN', 'null', 'NULL']);
const INFINITY = /^[+-]?inf(?:inity)?$/i;

/**
 * A value cell, rounded once to float32. Empty, `nan`, `NaN`, `null` and `NULL` are NaN; a number
 * that overflows float32 and any spelling of infinity are `non_finite`; the rest is `not_a_number`.
 */
export function parseValueText(text: string): CellResult {
  const s = text.trim();
  if (MISSING.has(s)) return { ok: true, value: NaN };
  if (INFINITY.test(s)) return refuse('non_finite', 'must be finite (NaN marks a missing value)');
  if (!DECIMAL.test(s)) return refuse('not_a_number', 'is not a decimal number');
  return checkFloat32(Number(s));
}

/** A double rounded to float32; ±Infinity after rounding is `non_finite`. */
export function checkFloat32(x: number): CellResult {
  const f = Math.fround(x);
  if (f === Infinity || f === -Infinity) return refuse('non_finite', 'is not finite as a float32');
  return { ok: true, value: f };
}
