// Scratch layouts of the kernels: which array of n f64 (`cell(scratch, n, a, j)`, lanes.ts) holds
// what. The host sizes scratch and saves the state of time pieces from the same numbers, declared
// again in src/registry/scratch.ts (assembly/ and src/ cannot import each other);
// test/unit/kernel-layout.test.ts checks that the two declarations agree.

// EWMA chains (ma.ts: ema, rma, dema, tema): the coefficient a, b = 1 − a, the state of each of up to
// three stages, then (ema, rma) the sink of a dry call.
@inline export const EWMA_A: i32 = 0;
@inline export const EWMA_B: i32 = 1;
@inline export const EWMA_Y1: i32 = 2;
@inline export const EWMA_Y2: i32 = 3;
@inline export const EWMA_Y3: i32 = 4;
@inline export const EWMA_ARRAYS: i32 = 5;

// rsi (momentum.ts): a = 1/window, b = 1 − a, the averages of gains and losses, and (TIME_MAJOR
// rows, SIMD build) 1 + G/L between the two passes of a bar. Arrays of stride n + 3 at most.
@inline export const RSI_A: i32 = 0;
@inline export const RSI_B: i32 = 1;
@inline export const RSI_G: i32 = 2;
@inline export const RSI_L: i32 = 3;
@inline export const RSI_R: i32 = 4;
@inline export const RSI_ARRAYS: i32 = 5;

// stoch, stoch_rsi (momentum.ts): the RSI arrays RSI_A … RSI_L (stoch_rsi), then S, k, z of the
// rolling mean k (from STOCH_KSUM) and of the rolling mean d (from STOCH_DSUM); tables and rings follow.
@inline export const STOCH_KSUM: i32 = 4;
@inline export const STOCH_DSUM: i32 = 7;
@inline export const STOCH_ARRAYS: i32 = 10;

// adx (trend.ts): window a and b = 1 − a, smoothing a and b, the window RMAs of TR, PDM, MDM, the
// adx RMA, and (TIME_MAJOR rows) the DX terms |plus − minus| and plus + minus of up to two bars
// (ADX_DX + 2·r, ADX_DX + 2·r + 1). Arrays of stride n + 3 at most; the other calls keep a chunk's
// TR, PDM, MDM after ADX_ARRAYS arrays.
@inline export const ADX_A: i32 = 0;
@inline export const ADX_B: i32 = 1;
@inline export const ADX_AS: i32 = 2;
@inline export const ADX_BS: i32 = 3;
@inline export const ADX_TR: i32 = 4;
@inline export const ADX_PDM: i32 = 5;
@inline export const ADX_MDM: i32 = 6;
@inline export const ADX_Y: i32 = 7;
@inline export const ADX_DX: i32 = 8;
@inline export const ADX_ARRAYS: i32 = 12;

// macd, ppo (momentum.ts): a and b = 1 − a of the fast, slow and signal EMAs (MACD_FAST_A,
// MACD_FAST_B, MACD_SLOW_A … MACD_SIGNAL_B, i.e. 2·p and 2·p + 1 for p = 0, 1, 2), then their states.
@inline export const MACD_FAST_A: i32 = 0;
@inline export const MACD_FAST_B: i32 = 1;
@inline export const MACD_SLOW_A: i32 = 2;
@inline export const MACD_SLOW_B: i32 = 3;
@inline export const MACD_SIGNAL_A: i32 = 4;
@inline export const MACD_SIGNAL_B: i32 = 5;
@inline export const MACD_FAST: i32 = 6;
@inline export const MACD_SLOW: i32 = 7;
@inline export const MACD_SIGNAL: i32 = 8;
@inline export const MACD_ARRAYS: i32 = 9;

// trix (momentum.ts): a, b of the triple EMA and of the signal EMA, the three stages, the signal.
@inline export const TRIX_A: i32 = 0;
@inline export const TRIX_B: i32 = 1;
@inline export const TRIX_SIGNAL_A: i32 = 2;
@inline export const TRIX_SIGNAL_B: i32 = 3;
@inline export const TRIX_E1: i32 = 4;
@inline export const TRIX_E2: i32 = 5;
@inline export const TRIX_E3: i32 = 6;
@inline export const TRIX_SIGNAL: i32 = 7;
@inline export const TRIX_ARRAYS: i32 = 8;
