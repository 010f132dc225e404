/**
 * Scratch layouts of the kernels, as assembly/scratch.ts declares them: which array of n f64
 * (`cell(scratch, n, a, j)` in the kernels) holds what. The registry sizes scratch
 * (`scratchBytes`) and names the state of time pieces (`stateArrays`) with these; assembly/ and
 * src/ cannot import each other, so the numbers are declared twice and
 * test/unit/kernel-layout.test.ts checks that the two declarations agree.
 */

/** EWMA chains (ema, rma, dema, tema): a, b = 1 − a, the state of stages 1..3; then (ema, rma) the dry sink. */
export const EWMA_A = 0;
export const EWMA_B = 1;
export const EWMA_Y1 = 2;
export const EWMA_Y2 = 3;
export const EWMA_Y3 = 4;
export const EWMA_ARRAYS = 5;

/** rsi: a, b = 1 − a, the averages of gains and losses, 1 + G/L (TIME_MAJOR rows); stride up to n + 3. */
export const RSI_A = 0;
export const RSI_B = 1;
export const RSI_G = 2;
export const RSI_L = 3;
export const RSI_R = 4;
export const RSI_ARRAYS = 5;

/** stoch, stoch_rsi: RSI_A … RSI_L (stoch_rsi), then S, k, z of the rolling means k and d; tables and rings follow. */
export const STOCH_KSUM = 4;
export const STOCH_DSUM = 7;
export const STOCH_ARRAYS = 10;

/**
 * adx: window and smoothing coefficients, the window RMAs of TR, PDM, MDM, the adx RMA, the DX terms
 * of up to two bars (TIME_MAJOR rows); stride up to n + 3. Other calls keep a chunk's TR, PDM, MDM after.
 */
export const ADX_A = 0;
export const ADX_B = 1;
export const ADX_AS = 2;
export const ADX_BS = 3;
export const ADX_TR = 4;
export const ADX_PDM = 5;
export const ADX_MDM = 6;
export const ADX_Y = 7;
export const ADX_DX = 8;
export const ADX_ARRAYS = 12;

/** macd, ppo: a and b of the fast, slow and signal EMAs (2·p, 2·p + 1), then the three states. */
export const MACD_FAST_A = 0;
export const MACD_FAST_B = 1;
export const MACD_SLOW_A = 2;
export const MACD_SLOW_B = 3;
export const MACD_SIGNAL_A = 4;
export const MACD_SIGNAL_B = 5;
export const MACD_FAST = 6;
export const MACD_SLOW = 7;
export const MACD_SIGNAL = 8;
export const MACD_ARRAYS = 9;

/** trix: a, b of the triple EMA and of the signal EMA, the three stages, the signal. */
export const TRIX_A = 0;
export const TRIX_B = 1;
export const TRIX_SIGNAL_A = 2;
export const TRIX_SIGNAL_B = 3;
export const TRIX_E1 = 4;
export const TRIX_E2 = 5;
export const TRIX_E3 = 6;
export const TRIX_SIGNAL = 7;
export const TRIX_ARRAYS = 8;
