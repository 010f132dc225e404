/**
 * Scratch layouts of the kernels, as assembly/scratch.ts declares them: which array of n f64
 * (`cell(scratch, n, a, j)` in the kernels) holds what. The registry sizes scratch
 * (`scratchBytes`) and names the state of time pieces (`stateArrays`) with these; assembly/ and
 * src/ cannot import each other, so the numbers are declared twice and
 * test/unit/kernel-layout.test.ts checks that the two declarations agree.
 */

/** EWMA chains (ema, rma, dema, tema): a, b = 1 − a, the state of stages 1..3; then (ema, rma) the dry sink. The talib profile keeps its count of valid bars into the segment in array EWMA_B (EWMA_K). */
export const EWMA_A = 0;
export const EWMA_B = 1;
export const EWMA_Y1 = 2;
export const EWMA_Y2 = 3;
export const EWMA_Y3 = 4;
export const EWMA_ARRAYS = 5;
export const EWMA_K = 1;

/**
 * rsi: a, b = 1 − a, the averages of gains and losses, the count of price changes summed into
 * them while TA-Lib's seed is open (talib profile), 1 + G/L (TIME_MAJOR rows); stride n rounded up
 * to 4 in every path.
 */
export const RSI_A = 0;
export const RSI_B = 1;
export const RSI_G = 2;
export const RSI_L = 3;
export const RSI_C = 4;
export const RSI_ARRAYS = 5;

/**
 * stoch, stoch_rsi: RSI_A … RSI_C (stoch_rsi), then S, k, z of the rolling means k and d; the rings
 * (and deques) of STOCH_RING_SLOTS slots per variant follow for any call, then the tables of stoch.
 */
export const STOCH_KSUM = 5;
export const STOCH_DSUM = 8;
export const STOCH_ARRAYS = 11;
export const STOCH_RING_SLOTS = 2048;

/**
 * adx: window and smoothing coefficients, the window RMAs of TR, PDM, MDM, the adx RMA (ADX_A … ADX_Y:
 * the state of a resumed call), the DX terms of up to two bars (TIME_MAJOR rows); stride n rounded up
 * to 4. Other calls keep a chunk's TR, PDM, MDM after. The talib profile: ADX_K (the first array)
 * counts the bars of the current segment, ADX_TR … ADX_MDM hold Wilder's sums, ADX_Y the sum of DX,
 * then the adx.
 */
export const ADX_A = 0;
export const ADX_K = 0;
export const ADX_B = 1;
export const ADX_AS = 2;
export const ADX_BS = 3;
export const ADX_TR = 4;
export const ADX_PDM = 5;
export const ADX_MDM = 6;
export const ADX_Y = 7;
export const ADX_DX = 8;
export const ADX_ARRAYS = 12;

/** macd, ppo: a and b of the fast, slow and signal EMAs (2·p, 2·p + 1), then the three states; the talib profile keeps its count of valid bars into the segment in array MACD_SIGNAL_B (MACD_K). */
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
export const MACD_K = 5;

/** trix: a, b of the triple EMA and of the signal EMA, the three stages, the signal; the talib profile keeps its count of valid bars into the segment in array TRIX_SIGNAL_B (TRIX_K). */
export const TRIX_A = 0;
export const TRIX_B = 1;
export const TRIX_SIGNAL_A = 2;
export const TRIX_SIGNAL_B = 3;
export const TRIX_E1 = 4;
export const TRIX_E2 = 5;
export const TRIX_E3 = 6;
export const TRIX_SIGNAL = 7;
export const TRIX_ARRAYS = 8;
export const TRIX_K = 3;

/** zlema: a, b = 1 − a, the EMA state, the lag. */
export const ZLEMA_A = 0;
export const ZLEMA_B = 1;
export const ZLEMA_Y = 2;
export const ZLEMA_LAG = 3;
export const ZLEMA_ARRAYS = 4;

/** sma: the rolling sum S, k, z (SMA_SUM + 0..2), the window; 1/window in SMA_RECIP on the exact path. */
export const SMA_SUM = 0;
export const SMA_RECIP = 1;
export const SMA_N = 3;
export const SMA_ARRAYS = 4;

/** wma: the WMA state A, B, k (WMA_ACC + 0..2), the window. */
export const WMA_ACC = 0;
export const WMA_N = 3;
export const WMA_ARRAYS = 4;

/** hma: three WMA states A, B, k each followed by its window (h, n, s); then the rings of D, HMA_RING f64 per variant. */
export const HMA_HALF = 0;
export const HMA_HALF_N = 3;
export const HMA_FULL = 4;
export const HMA_FULL_N = 7;
export const HMA_SMOOTH = 8;
export const HMA_SMOOTH_N = 11;
export const HMA_ARRAYS = 12;
export const HMA_RING = 64;

/** vwma: the rolling sums S, k, z of close·volume and of volume, the window. */
export const VWMA_NUM = 0;
export const VWMA_DEN = 3;
export const VWMA_N = 6;
export const VWMA_ARRAYS = 7;

/** fisher: the previous fisher value; extreme tables follow. */
export const FISHER_PREV = 0;
export const FISHER_ARRAYS = 1;

/** candle_stats_atr_norm: the ATR's a, b = 1 − a and state; components and TR follow. */
export const CANDLE_ATR_A = 0;
export const CANDLE_ATR_B = 1;
export const CANDLE_ATR_Y = 2;
export const CANDLE_ATR_ARRAYS = 3;

/** distance_to_ma_norm: a, b of the EMA and of the ATR's RMA, the EMA, the ATR; TR follows. */
export const DIST_EMA_A = 0;
export const DIST_EMA_B = 1;
export const DIST_RMA_A = 2;
export const DIST_RMA_B = 3;
export const DIST_EMA = 4;
export const DIST_ATR = 5;
export const DIST_ARRAYS = 6;

/** zscore: S, Q of the window, the window as f64 and as i32; the ring and NaN ages follow. */
export const ZSCORE_S = 0;
export const ZSCORE_Q = 1;
export const ZSCORE_N = 2;
export const ZSCORE_W = 3;
export const ZSCORE_ARRAYS = 4;

/** chandelier_exit: the ATR; chunk arrays and extreme tables follow. */
export const CHANDELIER_ATR = 0;
export const CHANDELIER_ARRAYS = 1;

/** keltner: a, b of the EMA and of the ATR's RMA, the multiplier, the middle line, the ATR; TP, TR follow. */
export const KELTNER_EMA_A = 0;
export const KELTNER_EMA_B = 1;
export const KELTNER_RMA_A = 2;
export const KELTNER_RMA_B = 3;
export const KELTNER_MULT = 4;
export const KELTNER_MID = 5;
export const KELTNER_ATR = 6;
export const KELTNER_ARRAYS = 7;

/** psar: direction, SAR, extreme point, acceleration factor, previous high and low. */
export const PSAR_DIR = 0;
export const PSAR_SAR = 1;
export const PSAR_EP = 2;
export const PSAR_AF = 3;
export const PSAR_PH = 4;
export const PSAR_PL = 5;
export const PSAR_ARRAYS = 6;

/** supertrend: the ATR, direction, final upper and lower bands, previous close; chunk arrays follow. */
export const SUPERTREND_ATR = 0;
export const SUPERTREND_DIR = 1;
export const SUPERTREND_FU = 2;
export const SUPERTREND_FL = 3;
export const SUPERTREND_PC = 4;
export const SUPERTREND_ARRAYS = 5;

/** vortex: the rolling sums S, k, z of TR, VM+ and VM−, the window; three rings follow. */
export const VORTEX_TR = 0;
export const VORTEX_VMP = 3;
export const VORTEX_VMM = 6;
export const VORTEX_N = 9;
export const VORTEX_ARRAYS = 10;

/** atr: a, b = 1 − a, the state y and the talib seed's sum and count; the chunk's TR follows. */
export const ATR_A = 0;
export const ATR_B = 1;
export const ATR_Y = 2;
export const ATR_S = 3;
export const ATR_K = 4;
export const ATR_ARRAYS = 5;

/** hv: the rolling variance S, Q, k, z (HV_VAR + 0..3), the window, sqrt(annualization); R follows. */
export const HV_VAR = 0;
export const HV_N = 4;
export const HV_ANN = 5;
export const HV_ARRAYS = 6;

/** ad_line: the running AD value of each variant. */
export const AD_LINE_R = 0;
export const AD_LINE_ARRAYS = 1;

/** obv: the running OBV value of each variant. */
export const OBV_R = 0;
export const OBV_ARRAYS = 1;

/** rollvar (variance, stddev), and per distinct window the first arrays of bbands: the rolling variance S, Q, k, z, the window. */
export const ROLLVAR_S = 0;
export const ROLLVAR_Q = 1;
export const ROLLVAR_K = 2;
export const ROLLVAR_Z = 3;
export const ROLLVAR_N = 4;
export const ROLLVAR_ARRAYS = 5;

/** bbands: arrays of np (n rounded up to 4) f64: the ROLLVAR arrays per distinct window, the last NaN-or-zero bar (cell 0); the rest follows. */
export const BBANDS_DIRTY = 5;
export const BBANDS_ARRAYS = 6;

/** volume_sma: the rolling sum S, k, z, the window. */
export const VOLUME_SMA_SUM = 0;
export const VOLUME_SMA_N = 3;
export const VOLUME_SMA_ARRAYS = 4;

/** cmf: the rolling sums S, k, z of money-flow volume and of volume, the window; the AD cells and the DIFF(AD) ring follow (all state). */
export const CMF_NUM = 0;
export const CMF_DEN = 3;
export const CMF_N = 6;
export const CMF_ARRAYS = 7;

/** mfi: the positive and negative flow sums, the window as f64 and as i32; the last NaN / non-zero bars and the flow rings (state), then chunk arrays. */
export const MFI_POS = 0;
export const MFI_NEG = 1;
export const MFI_N = 2;
export const MFI_W = 3;
export const MFI_ARRAYS = 4;

/**
 * vwap, vwap_deviation: the rolling sums S, k, z of TP·volume and of volume, the window, the multiplier, the variance S, Q, k, z of E;
 * the TP·volume ring and (vwap_deviation) the rings of E (state), then the TP ring of the call.
 */
export const VWAP_NUM = 0;
export const VWAP_DEN = 3;
export const VWAP_N = 6;
export const VWAP_MULT = 7;
export const VWAP_VAR = 8;
export const VWAP_ARRAYS = 12;
