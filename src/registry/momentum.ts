/** Registry definitions of the `momentum` group (indicators.md). Numbers come from the spec's indicators.yaml. */
import { defineIndicator, SRC6 } from './types.js';

export const cci = defineIndicator({
  id: 'momentum.cci', group: 'momentum', title: 'Commodity Channel Index',
  inputs: ['high','low','close'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
  ],
  axes: ['window'], outputs: ['cci'],
  warmup: { cci: 'window - 1' },
  kernel: null,
  doc: '`TP` as in §2.9 (binary64, not the float32 `hlc3`).',
});

export const fisher = defineIndicator({
  id: 'momentum.fisher', group: 'momentum', title: 'Fisher Transform',
  inputs: ['high','low'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
  ],
  axes: ['window'], outputs: ['fisher','trigger'],
  warmup: { fisher: 'window - 1', trigger: 'window' },
  kernel: null,
  doc: 'NaN if `P`, `HH` or `LL` is NaN or `den == 0`; otherwise `v = (2·((P − LL) / den)) − 1`; clamp: if `v > 0.999` then `v = 0.999`, else if `v < −0.999` then `v = −0.999`; `fisher = 0.5·ln((1 + v) / (1 − v))`.',
});

export const macd = defineIndicator({
  id: 'momentum.macd', group: 'momentum', title: 'MACD',
  inputs: ['source'], sourceValues: SRC6,
  params: [
    { name: 'fast_window', kind: 'int', min: 2, max: 2000, step: 1, default: 12 },
    { name: 'slow_window', kind: 'int', min: 2, max: 2000, step: 1, default: 26 },
    { name: 'signal_window', kind: 'int', min: 2, max: 2000, step: 1, default: 9 },
  ],
  axes: ['fast_window','signal_window','slow_window','source'], outputs: ['macd','signal','hist'],
  warmup: { macd: '0', signal: '0', hist: '0' },
  kernel: null,
  doc: '`F = EMA(src, fast_window)`, `S = EMA(src, slow_window)`; `macd = F − S`; `signal = EMA(macd, signal_window)`; `hist = macd − signal`.',
});

export const ppo = defineIndicator({
  id: 'momentum.ppo', group: 'momentum', title: 'Percentage Price Oscillator',
  inputs: ['source'], sourceValues: SRC6,
  params: [
    { name: 'fast_window', kind: 'int', min: 2, max: 2000, step: 1, default: 12 },
    { name: 'slow_window', kind: 'int', min: 2, max: 2000, step: 1, default: 26 },
    { name: 'signal_window', kind: 'int', min: 2, max: 2000, step: 1, default: 9 },
  ],
  axes: ['fast_window','signal_window','slow_window','source'], outputs: ['ppo','signal','hist'],
  warmup: { ppo: '0', signal: '0', hist: '0' },
  kernel: null,
  doc: '`F`, `S` as in `momentum.macd`; `ppo = 100·((F − S) / S)`; `signal = EMA(ppo, signal_window)`; `hist = ppo − signal`.',
});

export const roc = defineIndicator({
  id: 'momentum.roc', group: 'momentum', title: 'Rate of Change',
  inputs: ['source'], sourceValues: SRC6,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
  ],
  axes: ['source','window'], outputs: ['roc'],
  warmup: { roc: 'window' },
  kernel: null,
  doc: 'for `t ≥ n`, `roc = 100·((src[t] / src[t−n]) − 1)`; NaN for `t < n`.',
});

export const rsi = defineIndicator({
  id: 'momentum.rsi', group: 'momentum', title: 'Relative Strength Index',
  inputs: ['source'], sourceValues: SRC6,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
  ],
  axes: ['source','window'], outputs: ['rsi'],
  warmup: { rsi: '1' },
  kernel: null,
  doc: 'Stateful Wilder RSI, α = 1/n, state `p` (previous price), `G`, `L` (average gain/loss), all NaN initially:',
});

export const stoch = defineIndicator({
  id: 'momentum.stoch', group: 'momentum', title: 'Stochastic Oscillator',
  inputs: ['high','low','close'], sourceValues: null,
  params: [
    { name: 'd_window', kind: 'int', min: 2, max: 2000, step: 1, default: 3 },
    { name: 'k_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
    { name: 'smoothing', kind: 'int', min: 2, max: 2000, step: 1, default: 3 },
  ],
  axes: ['d_window','k_window','smoothing'], outputs: ['k','d'],
  warmup: { k: 'k_window + smoothing - 2', d: 'k_window + smoothing + d_window - 3' },
  kernel: null,
  doc: '`HH = ROLLMAX(high, k_window)`, `LL = ROLLMIN(low, k_window)`, `den = HH − LL`.',
});

export const stoch_rsi = defineIndicator({
  id: 'momentum.stoch_rsi', group: 'momentum', title: 'Stochastic RSI',
  inputs: ['source'], sourceValues: SRC6,
  params: [
    { name: 'd_window', kind: 'int', min: 2, max: 2000, step: 1, default: 3 },
    { name: 'k_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
    { name: 'rsi_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
    { name: 'smoothing', kind: 'int', min: 2, max: 2000, step: 1, default: 3 },
  ],
  axes: ['d_window','k_window','rsi_window','smoothing','source'], outputs: ['k','d'],
  warmup: { k: 'k_window + smoothing - 1', d: 'k_window + smoothing + d_window - 2' },
  kernel: null,
  doc: '`R = RSI(src, rsi_window)` exactly as `momentum.rsi` (NaN bars included).',
});

export const trix = defineIndicator({
  id: 'momentum.trix', group: 'momentum', title: 'TRIX',
  inputs: ['source'], sourceValues: SRC6,
  params: [
    { name: 'signal_window', kind: 'int', min: 2, max: 2000, step: 1, default: 9 },
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 15 },
  ],
  axes: ['signal_window','source','window'], outputs: ['trix','signal','hist'],
  warmup: { trix: '1', signal: '1', hist: '1' },
  kernel: null,
  doc: '`E1 = EMA(src, n)`, `E2 = EMA(E1, n)`, `E3 = EMA(E2, n)`.',
});

export const williams_r = defineIndicator({
  id: 'momentum.williams_r', group: 'momentum', title: 'Williams %R',
  inputs: ['high','low','close'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
  ],
  axes: ['window'], outputs: ['williams_r'],
  warmup: { williams_r: 'window - 1' },
  kernel: null,
  doc: '`williams_r = −100·((HH − close) / den)` (range −100..0; equals −0.0 when `close == HH`).',
});
