/**
 * CSV export of an IndicatorTensor (`gridta compute --out x.csv`): the columns of the Arrow long
 * table in the same row order, streamed to a temporary file that is renamed into place only once
 * complete, so a reader never sees a partial file.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { formatFloatV1 } from '../grid/keys.js';
import type { ArrowExportOptions, IndicatorTensor } from '../compute/tensor.js';
import { planTensorExport } from './export.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 next to `f` (a finite float32) in the direction of `toward`. */
function nextFloat32(f: number, toward: number): number {
  if (f === 0) return toward > 0 ? 1.401298464324817e-45 : -1.401298464324817e-45;
  f32[0] = f;
  // Away from zero when moving outward, toward zero otherwise (sign-magnitude bits).
  if (toward > f === f > 0) u32[0] = u32[0]! + 1;
  else u32[0] = u32[0]! - 1;
  return f32[0]!;
}

/** `m * 2^q` with an integer `m`, exactly, for a finite non-zero double. */
function binaryParts(y: number): { m: bigint; q: number } {
  let m = Math.abs(y);
  let q = 0;
  while (!Number.isInteger(m)) {
    m *= 2;
    q--;
  }
  while (m > Number.MAX_SAFE_INTEGER) {
    m /= 2;
    q++;
  }
  return { m: BigInt(m), q };
}

/** Compares the decimal `d * 10^e` (d > 0) with the positive double `y`, exactly: -1, 0 or 1. */
function compareDecimal(d: bigint, e: number, y: number): number {
  const { m, q } = binaryParts(y);
  let left = d;
  let right = m;
  if (e >= 0) left *= 10n ** BigInt(e);
  else right *= 10n ** BigInt(-e);
  if (q >= 0) right *= 2n ** BigInt(q);
  else left *= 2n ** BigInt(-q);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * @internal Whether the positive decimal `d * 10^e` reads back as the positive float32 `x`, both when
 * rounded directly (ties to even, as strtof and Arrow/CSV readers in C do) and when read through a
 * double (`Math.fround(Number(s))`, as JavaScript does). The two agree except when the double lands
 * exactly on a midpoint between two float32s while the decimal does not: such a decimal is ambiguous
 * across readers and never chosen.
 */
export function decimalReadsBackAsFloat32(d: number, e: number, x: number): boolean {
  const y = Number(`${d}e${e}`);
  const f = Math.fround(y);
  if (f !== x) return false;
  if (f === y || !Number.isFinite(f)) return true;
  const g = nextFloat32(f, y);
  if ((f + g) / 2 !== y) return true; // not a midpoint: one rounding is enough
  return compareDecimal(BigInt(d), e, y) === 0; // a true tie rounds to even either way
}

/**
 * A p-digit decimal that reads back as the positive float32 `x`, as [digits, exponent] — the nearest
 * one to x, ties going to the even digits as in `Number.prototype.toString` — or null when none does.
 */
function decimalWithDigits(x: number, p: number): [number, number] | null {
  const s = x.toExponential(p - 1); // correctly rounded p digits (ties away from zero)
  const at = s.indexOf('e');
  const d = Number(s.slice(0, at).replace('.', ''));
  const e = Number(s.slice(at + 1)) - (p - 1);
  const above = Number(`${d}e${e}`) > x;
  const pow = 10 ** (p - 1);
  // The nearest p-digit decimal on the other side of x (one step finer below a power of ten).
  const other: [number, number] = above ? (d === pow ? [pow * 10 - 1, e - 1] : [d - 1, e]) : [d + 1, e];
  if (decimalReadsBackAsFloat32(d, e, x)) {
    // x exactly halfway between d and an even neighbour: prefer the even one when it reads back too.
    if (
      d % 2 === 1 &&
      other[1] === e &&
      Number(`${(2 * d + (above ? -1 : 1)) * 5}e${e - 1}`) === x &&
      compareDecimal(BigInt(2 * d + (above ? -1 : 1)) * 5n, e - 1, x) === 0 &&
      decimalReadsBackAsFloat32(other[0], other[1], x)
    ) {
      return other;
    }
    return [d, e];
  }
  return decimalReadsBackAsFloat32(other[0], other[1], x) ? other : null;
}

/**
 * The shortest decimal string that reads back (correctly rounded to float32) as the float32 value
 * `x`; among several shortest, the nearest to x (ties to even digits). `NaN` for NaN, `-0` for
 * negative zero, `Infinity` / `-Infinity`. Written like JavaScript numbers (`0.1`, `16777216`,
 * `1e-45`, `3.4028235e+38`). `x` is rounded to float32 first.
 */
export function shortestFloat32(x: number): string {
  const v = Math.fround(x);
  if (Number.isNaN(v)) return 'NaN';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  const a = Math.abs(v);
  // "Some p-digit decimal reads back" is monotone in p (a p-digit decimal has p + 1 digits too), and
  // 9 digits always suffice for float32: binary search the shortest.
  let lo = 1;
  let hi = 9;
  let best: [number, number] | null = null;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const found = decimalWithDigits(a, mid);
    if (found) {
      best = found;
      hi = mid;
    } else lo = mid + 1;
  }
  best ??= decimalWithDigits(a, 9)!;
  const text = String(Number(`${best[0]}e${best[1]}`));
  return v < 0 ? `-${text}` : text;
}

/** RFC 4180 quoting, only when needed. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const CHUNK_CHARS = 1 << 20;

/**
 * Writes the long table of `tensor` (the Arrow export's columns, row order and options) as CSV:
 * a header row; `ts_open` as integer epoch ms; `variant`; axis values as in the variant key (int as
 * an integer, float as in the key, source/enum as-is); each output as `shortestFloat32` (NaN as `NaN`);
 * `variant_key` with `includeVariantKey`. The file appears at `filePath` only when complete (temp file
 * in the same directory, fsync, rename). The CSV is streamed in bounded memory, so the in-memory
 * export guard (bytes budget) does not apply; bad options reject with GridValidationError. An aborted
 * `signal` stops the write at the next chunk, removes the temporary file and rejects with the
 * signal's reason.
 */
export async function writeTensorCsv(
  tensor: IndicatorTensor<unknown>,
  filePath: string,
  opts?: ArrowExportOptions,
  io: { signal?: AbortSignal } = {},
): Promise<{ rows: number; bytes: number }> {
  io.signal?.throwIfAborted();
  const plan = planTensorExport(tensor, opts, undefined, { guard: false });
  const T = plan.t;
  const V = tensor.meta.variants;
  const timeMajor = tensor.layout === 'TIME_MAJOR';
  const ts = new Array<string>(T);
  for (let t = 0; t < T; t++) ts[t] = tensor.tsOpen[t]!.toString();
  const axisText = plan.axes.map((a) =>
    (a.axis.values as readonly (number | string)[]).map((x) =>
      csvField(a.axis.kind === 'int' ? String(x) : a.axis.kind === 'float' ? formatFloatV1(x as number) : String(x)),
    ),
  );
  const header = [
    'ts_open',
    'variant',
    ...plan.axes.map((a) => a.axis.name),
    ...plan.outputs.map((o) => o.name),
    ...(plan.includeVariantKey ? ['variant_key'] : []),
  ]
    .map(csvField)
    .join(',');
  const outputs = plan.outputs.map((o) => o.values);
  const K = outputs.length;

  const dir = dirname(filePath);
  const tmp = join(dir, `.${basename(filePath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx');
  let bytes = 0;
  let closed = false;
  try {
    let buf = `${header}\n`;
    const flush = async (): Promise<void> => {
      io.signal?.throwIfAborted();
      if (buf.length === 0) return;
      const data = Buffer.from(buf, 'utf8');
      buf = '';
      bytes += data.length;
      let off = 0;
      while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
    };
    for (let j = 0; j < plan.variants.length; j++) {
      const v = plan.variants[j]!;
      let mid = `,${v}`;
      plan.axes.forEach((a, k) => {
        mid += `,${axisText[k]![Math.floor(v / a.stride) % a.length]}`;
      });
      const tail = plan.includeVariantKey ? `,${tensor.variantKey(v)}\n` : '\n';
      for (let t = 0; t < T; t++) {
        const i = timeMajor ? t * V + v : v * T + t;
        let line = ts[t]! + mid;
        for (let k = 0; k < K; k++) line += `,${shortestFloat32(outputs[k]![i]!)}`;
        buf += line + tail;
        if (buf.length >= CHUNK_CHARS) await flush();
      }
    }
    await flush();
    await fh.sync();
    await fh.close();
    closed = true;
    io.signal?.throwIfAborted();
    await rename(tmp, filePath);
  } catch (err) {
    if (!closed) await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return { rows: plan.rows, bytes };
}
