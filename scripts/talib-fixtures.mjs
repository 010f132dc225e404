#!/usr/bin/env node
/**
 * TA-Lib reference fixtures for gridta (groundwork for a TA-Lib-compatible profile).
 *
 * Regenerate (from the repository root):
 *
 *   scripts/talib-build.sh && node scripts/talib-fixtures.mjs
 *
 * `scripts/talib-build.sh [DIR]` builds the `talib` npm package (node-talib 2.0.5 = TA-Lib C 0.6)
 * into DIR (default `.talib/`, git-ignored, outside the repository's dependencies); this script
 * loads it from `$TALIB_DIR` (default `.talib/`) and fails with a clear message when it is absent.
 *
 * It reads the built package (dist/, which `npm install` builds): the registry (every id must be in
 * MAPPING, in registry order), the candle loader for bench/ttrc.csv and the bench's seeded generator.
 *
 * Options: --out DIR (default test/fixtures/talib), --full (every bar instead of the sampled rows;
 * larger files, for local use only).
 *
 * For each series — `bench/ttrc.csv` (5,550 daily bars) and a seeded synthetic random walk of
 * 3,000 bars generated below — it runs the TA-Lib function(s) mapped to every gridta id that
 * TA-Lib computes (the MAPPING table; ids TA-Lib does not compute are listed with `fn: null`) on a
 * small grid of parameters per id, and writes one JSON file per series:
 *
 *   test/fixtures/talib/ttrc.json, test/fixtures/talib/synthetic.json
 *
 * Inputs are rounded to float32 first (`Math.fround`), as gridta's candles hold them, then passed to
 * TA-Lib as doubles. Source-based ids read `close`. TA-Lib runs with its defaults: unstable periods 0,
 * compatibility TA_COMPATIBILITY_DEFAULT (EMA seeded with an SMA), startIdx 0, endIdx T−1.
 *
 * File layout: `rows` is the list of bar indices stored (every bar below `sampling.dense`, then every
 * `sampling.stride`-th bar, then the last `sampling.tail` bars); each fixture's output arrays are
 * aligned with `rows` (`values[i]` is TA-Lib's output on bar `rows[i]`, `null` before `begIndex`,
 * i.e. where TA-Lib gives no output). `begIndex` is TA-Lib's first output bar (its lookback) and
 * `nbElement` the number of bars it output. Values are rounded to 9 significant digits.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from '../dist/bench/data.js';
import { candlesFromCsv } from '../dist/src/candles/index.js';
import { registry } from '../dist/src/registry/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GENERATED_BY = 'scripts/talib-build.sh && node scripts/talib-fixtures.mjs';
const TALIB_NPM = 'talib@2.0.5';
const SAMPLING = { dense: 600, stride: 10, tail: 100 };

// ---------------------------------------------------------------------------------------------
// arguments, talib
const argv = process.argv.slice(2);
let outDir = join(ROOT, 'test/fixtures/talib');
let full = false;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--out') outDir = resolve(argv[++i]);
  else if (argv[i] === '--full') full = true;
  else {
    console.error(`talib-fixtures: unknown argument ${argv[i]} (known: --out DIR, --full)`);
    process.exit(2);
  }
}

const talibDir = resolve(process.env.TALIB_DIR ?? join(ROOT, '.talib'));
const talibPkg = join(talibDir, 'node_modules/talib');
if (!existsSync(join(talibPkg, 'build/Release/talib.node'))) {
  console.error(
    `talib-fixtures: the native talib build is missing (${relative(ROOT, join(talibPkg, 'build/Release/talib.node')) || talibPkg}).\n` +
      `Build it first:  scripts/talib-build.sh${process.env.TALIB_DIR ? ` ${process.env.TALIB_DIR}` : ''}\n` +
      '(or point TALIB_DIR at a directory it built into).',
  );
  process.exit(1);
}
const talib = createRequire(import.meta.url)(talibPkg);
const talibPkgVersion = JSON.parse(readFileSync(join(talibPkg, 'package.json'), 'utf8')).version;
const versionC = /#define MAJOR "(\d+)"[\s\S]*#define MINOR "(\d+)"[\s\S]*#define BUILD "(\d+)"[\s\S]*#define EXTRA "(\w*)"/.exec(
  readFileSync(join(talibPkg, 'src/lib/src/ta_common/ta_version.c'), 'utf8'),
);
const TA_LIB_C = versionC ? `${versionC[1]}.${versionC[2]}.${versionC[3]}${versionC[4] ? `-${versionC[4]}` : ''}` : 'unknown';
const TALIB_FUNCTIONS = new Set(talib.functions.map((f) => f.name));

// ---------------------------------------------------------------------------------------------
// series
function f32(a) {
  return a.map((x) => Math.fround(x));
}

/** bench/ttrc.csv through gridta's own loader (sessions timeline: every row one bar), as the tests read it. */
async function loadTtrc() {
  const path = join(ROOT, 'bench/ttrc.csv');
  const text = readFileSync(path, 'utf8');
  const c = await candlesFromCsv(path, { instrumentId: 'TTRC', timeline: 'sessions' });
  const cols = {};
  for (const k of ['open', 'high', 'low', 'close', 'volume']) {
    if (c[k].some((x) => Number.isNaN(x))) throw new Error(`bench/ttrc.csv: ${k} has a missing value`);
    cols[k] = Array.from(c[k]);
  }
  return {
    name: 'ttrc',
    meta: {
      source: 'bench/ttrc.csv',
      sha256: createHash('sha256').update(text).digest('hex'),
      bars: c.t,
      note: 'every CSV row is one bar (candlesFromCsv with timeline: "sessions"); no missing values',
    },
    raw: cols,
  };
}

const SYNTH = { seed: 20261207, bars: 3000, start: 100, flatEvery: 101, zeroVolumeEvery: 257 };

/**
 * A seeded random walk with OHLCV: log-normal close steps (σ 1.5%), an open gapped from the previous
 * close, high/low beyond the body, prices rounded to cents, integer volumes. Every `flatEvery`-th bar
 * is flat (open = high = low = close = previous close) and every `zeroVolumeEvery`-th bar has volume 0,
 * to exercise the zero-range / tie / zero-volume conventions.
 */
function synthetic() {
  const rnd = prng(SYNTH.seed);
  const gauss = () => {
    const u = 1 - rnd();
    const v = rnd();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const cents = (x) => Math.round(x * 100) / 100;
  const cols = { open: [], high: [], low: [], close: [], volume: [] };
  let prev = SYNTH.start;
  for (let t = 0; t < SYNTH.bars; t++) {
    let o;
    let h;
    let l;
    let c;
    if (t > 0 && t % SYNTH.flatEvery === 0) {
      o = h = l = c = prev;
    } else {
      o = cents(prev * Math.exp(0.003 * gauss()));
      c = cents(prev * Math.exp(0.015 * gauss()));
      h = cents(Math.max(o, c) * (1 + 0.006 * Math.abs(gauss())));
      l = cents(Math.min(o, c) * (1 - 0.006 * Math.abs(gauss())));
    }
    const vol = t > 0 && t % SYNTH.zeroVolumeEvery === 0 ? 0 : Math.round(100000 * Math.exp(0.5 * gauss()));
    cols.open.push(o);
    cols.high.push(h);
    cols.low.push(l);
    cols.close.push(c);
    cols.volume.push(vol);
    prev = c;
  }
  return {
    name: 'synthetic',
    meta: {
      source: 'generated by scripts/talib-fixtures.mjs synthetic() (mulberry32, Box-Muller); the inputs are stored in this file',
      ...SYNTH,
      bars: SYNTH.bars,
    },
    raw: cols,
    storeInputs: true,
  };
}

// ---------------------------------------------------------------------------------------------
// mapping: every gridta id (registry order) → TA-Lib function(s), or null with the reason.

const W = (windows) => windows.map((window) => ({ window }));

/** The mapped ids: `runs(params)` gives the TA-Lib calls for one gridta parameter set. */
const MAPPING = [
  { id: 'ma.dema', fn: 'DEMA', grid: W([5, 10, 20, 50]), runs: (p) => [real('DEMA', { optInTimePeriod: p.window }, { value: 'outReal' })] },
  { id: 'ma.ema', fn: 'EMA', grid: W([5, 10, 20, 50]), runs: (p) => [real('EMA', { optInTimePeriod: p.window }, { value: 'outReal' })] },
  { id: 'ma.hma', fn: null, why: 'no Hull MA in TA-Lib' },
  { id: 'ma.lwma', fn: 'WMA', sameAs: 'ma.wma', why: 'identical to ma.wma: use its fixtures' },
  { id: 'ma.rma', fn: null, why: 'no Wilder/RMA function in TA-Lib (only inside RSI, ATR, ADX, …)' },
  { id: 'ma.sma', fn: 'SMA', grid: W([5, 10, 20, 50]), runs: (p) => [real('SMA', { optInTimePeriod: p.window }, { value: 'outReal' })] },
  { id: 'ma.tema', fn: 'TEMA', grid: W([5, 10, 20, 50]), runs: (p) => [real('TEMA', { optInTimePeriod: p.window }, { value: 'outReal' })] },
  { id: 'ma.vwma', fn: null, why: 'no volume-weighted MA in TA-Lib' },
  { id: 'ma.wma', fn: 'WMA', grid: W([5, 10, 20, 50]), runs: (p) => [real('WMA', { optInTimePeriod: p.window }, { value: 'outReal' })] },
  { id: 'ma.zlema', fn: null, why: 'no zero-lag EMA in TA-Lib' },
  { id: 'momentum.cci', fn: 'CCI', grid: W([5, 14, 50]), runs: (p) => [hlc('CCI', { optInTimePeriod: p.window }, { cci: 'outReal' })] },
  { id: 'momentum.fisher', fn: null, why: 'no Fisher transform in TA-Lib' },
  {
    id: 'momentum.macd',
    fn: 'MACD',
    grid: [
      { fast_window: 12, slow_window: 26, signal_window: 9 },
      { fast_window: 5, slow_window: 35, signal_window: 5 },
      { fast_window: 8, slow_window: 21, signal_window: 5 },
    ],
    runs: (p) => [
      real(
        'MACD',
        { optInFastPeriod: p.fast_window, optInSlowPeriod: p.slow_window, optInSignalPeriod: p.signal_window },
        { macd: 'outMACD', signal: 'outMACDSignal', hist: 'outMACDHist' },
      ),
    ],
  },
  {
    id: 'momentum.ppo',
    fn: 'PPO',
    note: "TA-Lib PPO gives only `ppo` (no signal/hist); run with optInMAType 1 (EMA) as gridta defines it; the default parameter set also with TA-Lib's default optInMAType 0 (SMA)",
    grid: [
      { fast_window: 12, slow_window: 26, signal_window: 9 },
      { fast_window: 5, slow_window: 35, signal_window: 5 },
      { fast_window: 8, slow_window: 21, signal_window: 5 },
    ],
    runs: (p) => [
      real('PPO', { optInFastPeriod: p.fast_window, optInSlowPeriod: p.slow_window, optInMAType: 1 }, { ppo: 'outReal' }),
      ...(p.fast_window === 12 && p.slow_window === 26
        ? [real('PPO', { optInFastPeriod: 12, optInSlowPeriod: 26, optInMAType: 0 }, { ppo: 'outReal' })]
        : []),
    ],
  },
  { id: 'momentum.roc', fn: 'ROC', grid: W([5, 14, 50]), runs: (p) => [real('ROC', { optInTimePeriod: p.window }, { roc: 'outReal' })] },
  { id: 'momentum.rsi', fn: 'RSI', grid: W([5, 14, 30]), runs: (p) => [real('RSI', { optInTimePeriod: p.window }, { rsi: 'outReal' })] },
  {
    id: 'momentum.stoch',
    fn: 'STOCH',
    note: 'fastK = k_window, slowK = smoothing, slowD = d_window, both MA types 0 (SMA)',
    grid: [
      { k_window: 14, smoothing: 3, d_window: 3 },
      { k_window: 5, smoothing: 3, d_window: 3 },
      { k_window: 21, smoothing: 5, d_window: 5 },
    ],
    runs: (p) => [
      hlc(
        'STOCH',
        {
          optInFastK_Period: p.k_window,
          optInSlowK_Period: p.smoothing,
          optInSlowK_MAType: 0,
          optInSlowD_Period: p.d_window,
          optInSlowD_MAType: 0,
        },
        { k: 'outSlowK', d: 'outSlowD' },
      ),
    ],
  },
  {
    id: 'momentum.stoch_rsi',
    fn: 'STOCH(RSI), STOCHRSI',
    note: "`STOCH(RSI)`: STOCH (fastK k_window, slowK smoothing, slowD d_window, SMA) with high = low = close = RSI(close, rsi_window), begIndex on the bar axis — gridta's definition on TA-Lib's RSI and STOCH; `STOCHRSI`: TA-Lib's own function, which has no K smoothing (outputs `k` = raw fastK, `d` = SMA(fastK, d_window), i.e. smoothing 1, outside gridta's bounds)",
    grid: [
      { rsi_window: 14, k_window: 14, smoothing: 3, d_window: 3 },
      { rsi_window: 14, k_window: 5, smoothing: 3, d_window: 3 },
      { rsi_window: 7, k_window: 10, smoothing: 2, d_window: 4 },
    ],
    runs: (p) => [
      stochOfRsi(p),
      real(
        'STOCHRSI',
        { optInTimePeriod: p.rsi_window, optInFastK_Period: p.k_window, optInFastD_Period: p.d_window, optInFastD_MAType: 0 },
        { k: 'outFastK', d: 'outFastD' },
      ),
    ],
  },
  {
    id: 'momentum.trix',
    fn: 'TRIX',
    note: 'TA-Lib TRIX gives only `trix` (no signal/hist); signal_window is not used',
    grid: [
      { window: 15, signal_window: 9 },
      { window: 5, signal_window: 9 },
      { window: 30, signal_window: 9 },
    ],
    runs: (p) => [real('TRIX', { optInTimePeriod: p.window }, { trix: 'outReal' })],
  },
  {
    id: 'momentum.williams_r',
    fn: 'WILLR',
    grid: W([5, 14, 50]),
    runs: (p) => [hlc('WILLR', { optInTimePeriod: p.window }, { williams_r: 'outReal' })],
  },
  ...registry
    .list()
    .filter((d) => d.kernel?.name === 'candle_stats' || d.kernel?.name === 'candle_stats_atr_norm')
    .map((d) => ({ id: d.id, fn: null, why: 'no candle-geometry functions in TA-Lib (its CDL* functions are pattern flags)' })),
  { id: 'structure.distance_to_ma_norm', fn: null, why: 'not in TA-Lib' },
  { id: 'structure.percent_rank', fn: null, why: 'not in TA-Lib' },
  { id: 'structure.pivot_high', fn: null, why: 'no pivots in TA-Lib' },
  { id: 'structure.pivot_low', fn: null, why: 'no pivots in TA-Lib' },
  { id: 'structure.pivots', fn: null, why: 'no pivots in TA-Lib' },
  { id: 'structure.zscore', fn: null, why: 'not in TA-Lib' },
  {
    id: 'trend.adx',
    fn: 'ADX, PLUS_DI, MINUS_DI',
    note: 'TA-Lib has one period for the DI and the ADX smoothing: `adx` only where smoothing = window; plus_di/minus_di = PLUS_DI/MINUS_DI(window)',
    grid: [
      { window: 20, smoothing: 14 },
      { window: 7, smoothing: 7 },
      { window: 14, smoothing: 14 },
      { window: 20, smoothing: 20 },
    ],
    runs: (p) => [
      ...(p.window === p.smoothing ? [hlc('ADX', { optInTimePeriod: p.window }, { adx: 'outReal' })] : []),
      hlc('PLUS_DI', { optInTimePeriod: p.window }, { plus_di: 'outReal' }),
      hlc('MINUS_DI', { optInTimePeriod: p.window }, { minus_di: 'outReal' }),
    ],
  },
  {
    id: 'trend.aroon',
    fn: 'AROON, AROONOSC',
    grid: W([5, 14, 20]),
    runs: (p) => [
      hl('AROON', { optInTimePeriod: p.window }, { aroon_down: 'outAroonDown', aroon_up: 'outAroonUp' }),
      hl('AROONOSC', { optInTimePeriod: p.window }, { aroon_osc: 'outReal' }),
    ],
  },
  { id: 'trend.chandelier_exit', fn: null, why: 'not in TA-Lib' },
  {
    id: 'trend.donchian',
    fn: 'MAX, MIN, MIDPRICE',
    note: 'donchian_upper = MAX(high, n), donchian_lower = MIN(low, n), donchian_mid = MIDPRICE(high, low, n)',
    grid: W([5, 20, 50]),
    runs: (p) => [
      series('MAX', { inReal: 'high' }, { optInTimePeriod: p.window }, { donchian_upper: 'outReal' }),
      series('MIN', { inReal: 'low' }, { optInTimePeriod: p.window }, { donchian_lower: 'outReal' }),
      hl('MIDPRICE', { optInTimePeriod: p.window }, { donchian_mid: 'outReal' }),
    ],
  },
  { id: 'trend.ichimoku', fn: null, why: 'not in TA-Lib (its tenkan/kijun are MIDPRICE, but the shifted spans are not)' },
  { id: 'trend.keltner', fn: null, why: 'not in TA-Lib' },
  {
    id: 'trend.linreg_slope',
    fn: 'LINEARREG_SLOPE',
    grid: W([5, 20, 50]),
    runs: (p) => [real('LINEARREG_SLOPE', { optInTimePeriod: p.window }, { slope: 'outReal' })],
  },
  {
    id: 'trend.psar',
    fn: 'SAR, SAREXT',
    note: '`SAR` (acceleration = accel_start = accel_step, maximum = accel_max) where accel_start = accel_step, psar only; `SAREXT` (the same accelerations long and short, start value 0 = auto, no offset): psar = |out|, psar_dir = sign(out) (TA-Lib marks short positions negative)',
    grid: [
      { accel_start: 0.02, accel_step: 0.02, accel_max: 0.2 },
      { accel_start: 0.01, accel_step: 0.01, accel_max: 0.1 },
      { accel_start: 0.01, accel_step: 0.02, accel_max: 0.2 },
    ],
    runs: (p) => [
      ...(p.accel_start === p.accel_step
        ? [hl('SAR', { optInAcceleration: p.accel_start, optInMaximum: p.accel_max }, { psar: 'outReal' })]
        : []),
      {
        ...hl(
          'SAREXT',
          {
            optInStartValue: 0,
            optInOffsetOnReverse: 0,
            optInAccelerationInitLong: p.accel_start,
            optInAccelerationLong: p.accel_step,
            optInAccelerationMaxLong: p.accel_max,
            optInAccelerationInitShort: p.accel_start,
            optInAccelerationShort: p.accel_step,
            optInAccelerationMaxShort: p.accel_max,
          },
          { psar: 'outReal' },
        ),
        post: (o) => ({ psar: o.psar.map(Math.abs), psar_dir: o.psar.map((x) => (x < 0 ? -1 : 1)) }),
      },
    ],
  },
  { id: 'trend.supertrend', fn: null, why: 'not in TA-Lib' },
  { id: 'trend.vortex', fn: null, why: 'not in TA-Lib' },
  { id: 'volatility.atr', fn: 'ATR', grid: W([5, 14, 20]), runs: (p) => [hlc('ATR', { optInTimePeriod: p.window }, { atr: 'outReal' })] },
  {
    id: 'volatility.bbands',
    fn: 'BBANDS',
    note: 'optInNbDevUp = optInNbDevDn = mult, optInMAType 0 (SMA)',
    grid: [
      { window: 20, mult: 2 },
      { window: 5, mult: 2 },
      { window: 50, mult: 2 },
      { window: 20, mult: 1.5 },
    ],
    runs: (p) => [
      real(
        'BBANDS',
        { optInTimePeriod: p.window, optInNbDevUp: p.mult, optInNbDevDn: p.mult, optInMAType: 0 },
        { basis: 'outRealMiddleBand', upper: 'outRealUpperBand', lower: 'outRealLowerBand' },
      ),
    ],
  },
  { id: 'volatility.bbands_bandwidth', fn: null, why: 'not a TA-Lib output (derivable from the volatility.bbands fixtures)' },
  { id: 'volatility.bbands_percent_b', fn: null, why: 'not a TA-Lib output (derivable from the volatility.bbands fixtures)' },
  { id: 'volatility.hv', fn: null, why: 'not in TA-Lib' },
  {
    id: 'volatility.stddev',
    fn: 'STDDEV',
    note: 'optInNbDev 1',
    grid: W([5, 20, 50]),
    runs: (p) => [real('STDDEV', { optInTimePeriod: p.window, optInNbDev: 1 }, { stddev: 'outReal' })],
  },
  { id: 'volatility.tr', fn: 'TRANGE', grid: [{}], runs: () => [hlc('TRANGE', {}, { tr: 'outReal' })] },
  {
    id: 'volatility.variance',
    fn: 'VAR',
    note: 'optInNbDev 1',
    grid: W([5, 20, 50]),
    runs: (p) => [real('VAR', { optInTimePeriod: p.window, optInNbDev: 1 }, { variance: 'outReal' })],
  },
  {
    id: 'volume.ad_line',
    fn: 'AD',
    grid: [{}],
    runs: () => [series('AD', { high: 'high', low: 'low', close: 'close', volume: 'volume' }, {}, { ad_line: 'outReal' })],
  },
  { id: 'volume.cmf', fn: null, why: 'not in TA-Lib (ADOSC is the Chaikin oscillator, a different quantity)' },
  {
    id: 'volume.mfi',
    fn: 'MFI',
    grid: W([5, 14, 20]),
    runs: (p) => [
      series('MFI', { high: 'high', low: 'low', close: 'close', volume: 'volume' }, { optInTimePeriod: p.window }, { mfi: 'outReal' }),
    ],
  },
  { id: 'volume.obv', fn: 'OBV', grid: [{}], runs: () => [series('OBV', { inReal: 'close', volume: 'volume' }, {}, { obv: 'outReal' })] },
  {
    id: 'volume.volume_sma',
    fn: 'SMA',
    note: 'SMA of volume',
    grid: W([5, 20, 50]),
    runs: (p) => [series('SMA', { inReal: 'volume' }, { optInTimePeriod: p.window }, { volume_sma: 'outReal' })],
  },
  { id: 'volume.vwap', fn: null, why: 'not in TA-Lib' },
  { id: 'volume.vwap_deviation', fn: null, why: 'not in TA-Lib' },
];

/** One TA-Lib call: inputs maps TA-Lib input names to series names, outputs gridta output → TA-Lib output. */
function series(name, inputs, optIn, outputs) {
  return { name, inputs, optIn, outputs };
}
const real = (name, optIn, outputs) => series(name, { inReal: 'close' }, optIn, outputs);
const hlc = (name, optIn, outputs) => series(name, { high: 'high', low: 'low', close: 'close' }, optIn, outputs);
const hl = (name, optIn, outputs) => series(name, { high: 'high', low: 'low' }, optIn, outputs);

/** STOCH over RSI(close): a two-step run, reported on the bar axis. */
function stochOfRsi(p) {
  return {
    name: 'STOCH(RSI)',
    label: 'STOCH(RSI)',
    optIn: {
      rsi: { optInTimePeriod: p.rsi_window },
      stoch: {
        optInFastK_Period: p.k_window,
        optInSlowK_Period: p.smoothing,
        optInSlowK_MAType: 0,
        optInSlowD_Period: p.d_window,
        optInSlowD_MAType: 0,
      },
    },
    inputs: { inReal: 'close' },
    custom: (cols) => {
      const t = cols.close.length;
      const r = execute({ name: 'RSI', startIdx: 0, endIdx: t - 1, inReal: cols.close, optInTimePeriod: p.rsi_window });
      const rsi = r.result.outReal;
      const s = execute({
        name: 'STOCH',
        startIdx: 0,
        endIdx: rsi.length - 1,
        high: rsi,
        low: rsi,
        close: rsi,
        optInFastK_Period: p.k_window,
        optInSlowK_Period: p.smoothing,
        optInSlowK_MAType: 0,
        optInSlowD_Period: p.d_window,
        optInSlowD_MAType: 0,
      });
      return { begIndex: r.begIndex + s.begIndex, nbElement: s.nbElement, outputs: { k: s.result.outSlowK, d: s.result.outSlowD } };
    },
  };
}

function execute(args) {
  const r = talib.execute(args);
  if (!r || r.error || typeof r.begIndex !== 'number') {
    throw new Error(`TA-Lib ${args.name} failed: ${JSON.stringify(r?.error ?? r)}`);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// compute, write

const round9 = (x) => (Number.isFinite(x) ? Number(x.toPrecision(9)) + 0 : null);

function rowsOf(t) {
  if (full) return Array.from({ length: t }, (_, i) => i);
  const rows = [];
  for (let i = 0; i < t; i++) {
    if (i < SAMPLING.dense || i >= t - SAMPLING.tail || (i - SAMPLING.dense) % SAMPLING.stride === 0) rows.push(i);
  }
  return rows;
}

function runOne(call, cols) {
  if (call.custom) return call.custom(cols);
  if (!TALIB_FUNCTIONS.has(call.name)) throw new Error(`TA-Lib has no function ${call.name}`);
  const t = cols.close.length;
  const args = { name: call.name, startIdx: 0, endIdx: t - 1, ...call.optIn };
  for (const [k, v] of Object.entries(call.inputs)) args[k] = cols[v];
  const r = execute(args);
  const outputs = {};
  for (const [gridtaName, talibName] of Object.entries(call.outputs)) {
    const v = r.result[talibName];
    if (!Array.isArray(v)) throw new Error(`TA-Lib ${call.name}: no output ${talibName}`);
    outputs[gridtaName] = v;
  }
  return { begIndex: r.begIndex, nbElement: r.nbElement, outputs: call.post ? call.post(outputs) : outputs };
}

function build(s) {
  const cols = {};
  for (const k of Object.keys(s.raw)) cols[k] = f32(s.raw[k]);
  const t = cols.close.length;
  const rows = rowsOf(t);
  const fixtures = [];
  let nonFinite = 0;
  for (const m of MAPPING) {
    if (!m.runs) continue;
    for (const params of m.grid) {
      for (const call of m.runs(params)) {
        const r = runOne(call, cols);
        if (r.nbElement !== t - r.begIndex) throw new Error(`${m.id} ${call.name}: ${r.nbElement} outputs from bar ${r.begIndex} of ${t}`);
        const outputs = {};
        for (const [name, v] of Object.entries(r.outputs)) {
          outputs[name] = rows.map((bar) => {
            if (bar < r.begIndex) return null;
            const x = v[bar - r.begIndex];
            if (!Number.isFinite(x)) nonFinite++;
            return round9(x);
          });
        }
        fixtures.push({
          id: m.id,
          fn: call.label ?? call.name,
          params,
          ...(Object.keys(call.inputs).length ? { inputs: call.inputs } : {}),
          talib: call.optIn,
          begIndex: r.begIndex,
          nbElement: r.nbElement,
          outputs,
        });
      }
    }
  }
  if (nonFinite) throw new Error(`${s.name}: ${nonFinite} non-finite TA-Lib outputs`);
  return { rows, fixtures, cols };
}

// every id of the registry exactly once, in its order
{
  const want = registry.list().map((d) => d.id);
  const got = MAPPING.map((m) => m.id);
  if (got.join() !== want.join())
    throw new Error(`MAPPING must list the registry's ids in its order: ${want.filter((id, k) => got[k] !== id).join(', ')} differ`);
}
mkdirSync(outDir, { recursive: true });
const mapping = MAPPING.map((m) => ({
  id: m.id,
  fn: m.fn,
  ...(m.sameAs ? { sameAs: m.sameAs } : {}),
  ...(m.note ? { note: m.note } : {}),
  ...(m.why ? { note: m.why } : {}),
}));
for (const s of [await loadTtrc(), synthetic()]) {
  const { rows, fixtures } = build(s);
  const doc = {
    generatedBy: GENERATED_BY,
    talib: {
      npm: `talib@${talibPkgVersion}`,
      taLibC: TA_LIB_C,
      settings: 'defaults: unstable periods 0, TA_COMPATIBILITY_DEFAULT; startIdx 0, endIdx bars-1',
    },
    series: {
      name: s.name,
      ...s.meta,
      rounding: 'every input rounded to float32 (Math.fround), then passed to TA-Lib as doubles; source-based ids read close',
    },
    layout:
      "fixtures[i].outputs[name][j] is TA-Lib's output on bar rows[j] (null before begIndex, TA-Lib's first output bar); values rounded to 9 significant digits",
    sampling: full ? { full: true } : SAMPLING,
    mapping,
    ...(s.storeInputs ? { inputs: s.raw } : {}),
    rows,
    fixtures,
  };
  if (TALIB_NPM !== doc.talib.npm) console.warn(`talib-fixtures: expected ${TALIB_NPM}, loaded ${doc.talib.npm}`);
  // One fixture (or input series) per line: compact, and diffs stay readable.
  const lines = ['{'];
  const keys = Object.keys(doc);
  keys.forEach((k, i) => {
    const comma = i < keys.length - 1 ? ',' : '';
    const v = doc[k];
    if (k === 'fixtures' || k === 'mapping') {
      lines.push(`${JSON.stringify(k)}: [`);
      for (const [j, f] of v.entries()) lines.push(`  ${JSON.stringify(f)}${j < v.length - 1 ? ',' : ''}`);
      lines.push(`]${comma}`);
    } else if (k === 'inputs') {
      lines.push(`${JSON.stringify(k)}: {`);
      const ik = Object.keys(v);
      for (const [j, c] of ik.entries()) lines.push(`  ${JSON.stringify(c)}: ${JSON.stringify(v[c])}${j < ik.length - 1 ? ',' : ''}`);
      lines.push(`}${comma}`);
    } else {
      lines.push(`${JSON.stringify(k)}: ${JSON.stringify(v)}${comma}`);
    }
  });
  lines.push('}');
  const file = join(outDir, `${s.name}${full ? '.full' : ''}.json`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  JSON.parse(readFileSync(file, 'utf8'));
  console.log(
    `talib-fixtures: ${relative(ROOT, file)}: ${fixtures.length} fixtures, ${rows.length} of ${s.meta.bars} rows, ${(readFileSync(file).length / 1e6).toFixed(2)} MB`,
  );
}
