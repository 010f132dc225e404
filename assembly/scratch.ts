// Scratch layouts of the kernels: which array of n f64 (`cell(scratch, n, a, j)`, lanes.ts) holds
// what. The host sizes scratch and saves the state of time pieces from the same numbers, declared
// again in src/registry/scratch.ts (assembly/ and src/ cannot import each other);
// test/unit/kernel-layout.test.ts checks that the two declarations agree.

// EWMA chains (ma.ts: ema, rma, dema, tema): the coefficient a, b = 1 − a, the state of each of up to
// three stages, then (ema, rma) the sink of a dry call. The talib profile's step needs a alone: there
// array EWMA_B holds the count of valid bars into the segment (capped; EWMA_K), and a stage holds its
// running sum while it seeds.
@inline export const EWMA_A: i32 = 0;
@inline export const EWMA_B: i32 = 1;
@inline export const EWMA_Y1: i32 = 2;
@inline export const EWMA_Y2: i32 = 3;
@inline export const EWMA_Y3: i32 = 4;
@inline export const EWMA_ARRAYS: i32 = 5;
@inline export const EWMA_K: i32 = 1;

// rsi (momentum.ts): a = 1/window, b = 1 − a, the averages of gains and losses, the count of price
// changes summed into them while TA-Lib's seed is open (talib profile). Arrays of stride n rounded
// up to 4 in every path (a, b, G, L and the count are the state).
@inline export const RSI_A: i32 = 0;
@inline export const RSI_B: i32 = 1;
@inline export const RSI_G: i32 = 2;
@inline export const RSI_L: i32 = 3;
@inline export const RSI_C: i32 = 4;
@inline export const RSI_ARRAYS: i32 = 5;

// stoch, stoch_rsi (momentum.ts): the RSI arrays RSI_A … RSI_C (stoch_rsi), then S, k, z of the
// rolling mean k (from STOCH_KSUM) and of the rolling mean d (from STOCH_DSUM); the rings (and the
// deques of stoch_rsi) follow, STOCH_RING_SLOTS slots per variant for any call (they are state), then
// the extreme tables of stoch.
@inline export const STOCH_KSUM: i32 = 5;
@inline export const STOCH_DSUM: i32 = 8;
@inline export const STOCH_ARRAYS: i32 = 11;
@inline export const STOCH_RING_SLOTS: i32 = 2048;

// adx (trend.ts): window a and b = 1 − a, smoothing a and b, the window RMAs of TR, PDM, MDM, the
// adx RMA, and (TIME_MAJOR rows) the DX terms |plus − minus| and plus + minus of up to two bars
// (ADX_DX + 2·r, ADX_DX + 2·r + 1). Arrays of stride n rounded up to 4 in every call (ADX_A … ADX_Y
// are the state of a resumed call); the other calls keep a chunk's TR, PDM, MDM after ADX_ARRAYS arrays.
// The talib profile uses no coefficients: ADX_K (the first array) counts the bars of the current
// segment, ADX_TR … ADX_MDM hold Wilder's sums and ADX_Y the sum of DX, then the adx.
@inline export const ADX_A: i32 = 0;
@inline export const ADX_K: i32 = 0;
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
// MACD_FAST_B, MACD_SLOW_A … MACD_SIGNAL_B, i.e. 2·p and 2·p + 1 for p = 0, 1, 2), then their states;
// in the talib profile (no coefficient tables) cells j of MACD_FAST, MACD_SLOW, MACD_SIGNAL are variant
// j's own EMAs (running sums while they seed) and MACD_K (array MACD_SIGNAL_B) its count of valid bars
// into the segment (capped).
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
@inline export const MACD_K: i32 = 5;

// trix (momentum.ts): a, b of the triple EMA and of the signal EMA, the three stages, the signal; the
// talib profile (no coefficients) keeps its count of valid bars into the segment (capped) in array
// TRIX_SIGNAL_B (TRIX_K), a stage its running sum while it seeds.
@inline export const TRIX_A: i32 = 0;
@inline export const TRIX_B: i32 = 1;
@inline export const TRIX_SIGNAL_A: i32 = 2;
@inline export const TRIX_SIGNAL_B: i32 = 3;
@inline export const TRIX_E1: i32 = 4;
@inline export const TRIX_E2: i32 = 5;
@inline export const TRIX_E3: i32 = 6;
@inline export const TRIX_SIGNAL: i32 = 7;
@inline export const TRIX_ARRAYS: i32 = 8;
@inline export const TRIX_K: i32 = 3;

// zlema (ma.ts): a, b = 1 − a, the EMA state, the lag ⌊(window − 1)/2⌋.
@inline export const ZLEMA_A: i32 = 0;
@inline export const ZLEMA_B: i32 = 1;
@inline export const ZLEMA_Y: i32 = 2;
@inline export const ZLEMA_LAG: i32 = 3;
@inline export const ZLEMA_ARRAYS: i32 = 4;

// sma (ma.ts): the rolling sum (S, k, z at SMA_SUM, + 1, + 2: sum, NaN terms, non-zero terms), the
// window; the exact path keeps 1/window in SMA_RECIP (the k array, reset after it). Prefix sums follow.
@inline export const SMA_SUM: i32 = 0;
@inline export const SMA_RECIP: i32 = 1;
@inline export const SMA_N: i32 = 3;
@inline export const SMA_ARRAYS: i32 = 4;

// wma (ma.ts): the WMA state (A, B, k at WMA_ACC, + 1, + 2: plain sum, weighted sum, NaN terms), the window.
@inline export const WMA_ACC: i32 = 0;
@inline export const WMA_N: i32 = 3;
@inline export const WMA_ARRAYS: i32 = 4;

// hma (ma.ts): three WMA states (A, B, k) each followed by its window: of h, of n, of the smoothing s;
// then a ring of HMA_RING f64 per variant (D of bar i in slot i mod HMA_RING).
@inline export const HMA_HALF: i32 = 0;
@inline export const HMA_HALF_N: i32 = 3;
@inline export const HMA_FULL: i32 = 4;
@inline export const HMA_FULL_N: i32 = 7;
@inline export const HMA_SMOOTH: i32 = 8;
@inline export const HMA_SMOOTH_N: i32 = 11;
@inline export const HMA_ARRAYS: i32 = 12;
@inline export const HMA_RING: i32 = 64;

// vwma (ma.ts): the rolling sums (S, k, z) of close·volume and of volume, the window.
@inline export const VWMA_NUM: i32 = 0;
@inline export const VWMA_DEN: i32 = 3;
@inline export const VWMA_N: i32 = 6;
@inline export const VWMA_ARRAYS: i32 = 7;

// fisher (momentum.ts): the previous fisher value; extreme tables follow.
@inline export const FISHER_PREV: i32 = 0;
@inline export const FISHER_ARRAYS: i32 = 1;

// candle_stats_atr_norm (structure.ts): the ATR's a = 1/n, b = 1 − a and state; components and TR follow.
@inline export const CANDLE_ATR_A: i32 = 0;
@inline export const CANDLE_ATR_B: i32 = 1;
@inline export const CANDLE_ATR_Y: i32 = 2;
@inline export const CANDLE_ATR_ARRAYS: i32 = 3;

// distance_to_ma_norm (structure.ts): a, b of the EMA and of the ATR's RMA, the EMA, the ATR; TR follows.
@inline export const DIST_EMA_A: i32 = 0;
@inline export const DIST_EMA_B: i32 = 1;
@inline export const DIST_RMA_A: i32 = 2;
@inline export const DIST_RMA_B: i32 = 3;
@inline export const DIST_EMA: i32 = 4;
@inline export const DIST_ATR: i32 = 5;
@inline export const DIST_ARRAYS: i32 = 6;

// zscore (structure.ts): sum S and sum of squares Q of the window, the window as f64 and (stored as
// i32) as an index; the source ring and the NaN ages follow.
@inline export const ZSCORE_S: i32 = 0;
@inline export const ZSCORE_Q: i32 = 1;
@inline export const ZSCORE_N: i32 = 2;
@inline export const ZSCORE_W: i32 = 3;
@inline export const ZSCORE_ARRAYS: i32 = 4;

// chandelier_exit (trend.ts): the ATR; the chunk's TR, HH, LL, ATR and extreme tables follow.
@inline export const CHANDELIER_ATR: i32 = 0;
@inline export const CHANDELIER_ARRAYS: i32 = 1;

// keltner (trend.ts): a, b of the middle EMA and of the ATR's RMA, the band multiplier, the middle
// line, the ATR; the chunk's TP and TR follow.
@inline export const KELTNER_EMA_A: i32 = 0;
@inline export const KELTNER_EMA_B: i32 = 1;
@inline export const KELTNER_RMA_A: i32 = 2;
@inline export const KELTNER_RMA_B: i32 = 3;
@inline export const KELTNER_MULT: i32 = 4;
@inline export const KELTNER_MID: i32 = 5;
@inline export const KELTNER_ATR: i32 = 6;
@inline export const KELTNER_ARRAYS: i32 = 7;

// psar (trend.ts): direction, SAR, extreme point, acceleration factor, previous high and low.
@inline export const PSAR_DIR: i32 = 0;
@inline export const PSAR_SAR: i32 = 1;
@inline export const PSAR_EP: i32 = 2;
@inline export const PSAR_AF: i32 = 3;
@inline export const PSAR_PH: i32 = 4;
@inline export const PSAR_PL: i32 = 5;
@inline export const PSAR_ARRAYS: i32 = 6;

// supertrend (trend.ts): the ATR, direction, final upper and lower bands, previous close; TR, ATR of
// the chunk follow.
@inline export const SUPERTREND_ATR: i32 = 0;
@inline export const SUPERTREND_DIR: i32 = 1;
@inline export const SUPERTREND_FU: i32 = 2;
@inline export const SUPERTREND_FL: i32 = 3;
@inline export const SUPERTREND_PC: i32 = 4;
@inline export const SUPERTREND_ARRAYS: i32 = 5;

// vortex (trend.ts): the rolling sums (S, k, z) of TR, VM+ and VM−, the window; three rings follow.
@inline export const VORTEX_TR: i32 = 0;
@inline export const VORTEX_VMP: i32 = 3;
@inline export const VORTEX_VMM: i32 = 6;
@inline export const VORTEX_N: i32 = 9;
@inline export const VORTEX_ARRAYS: i32 = 10;

// atr (volatility.ts): a = 1/n, b = 1 − a, the state y, the talib seed's sum and count; the chunk's TR follows.
@inline export const ATR_A: i32 = 0;
@inline export const ATR_B: i32 = 1;
@inline export const ATR_Y: i32 = 2;
@inline export const ATR_S: i32 = 3;
@inline export const ATR_K: i32 = 4;
@inline export const ATR_ARRAYS: i32 = 5;

// hv (volatility.ts): the rolling variance (S, Q, k, z at HV_VAR, + 1 … + 3), the window, sqrt(annualization);
// the log returns R follow.
@inline export const HV_VAR: i32 = 0;
@inline export const HV_N: i32 = 4;
@inline export const HV_ANN: i32 = 5;
@inline export const HV_ARRAYS: i32 = 6;

// ad_line (volume.ts): the running AD value of each variant.
@inline export const AD_LINE_R: i32 = 0;
@inline export const AD_LINE_ARRAYS: i32 = 1;

// obv (volume.ts): the running OBV value of each variant.
@inline export const OBV_R: i32 = 0;
@inline export const OBV_ARRAYS: i32 = 1;

// rollvar (volatility.ts: variance, stddev), and per distinct window the first arrays of bbands: the
// rolling variance (S, Q, k, z) and the window.
@inline export const ROLLVAR_S: i32 = 0;
@inline export const ROLLVAR_Q: i32 = 1;
@inline export const ROLLVAR_K: i32 = 2;
@inline export const ROLLVAR_Z: i32 = 3;
@inline export const ROLLVAR_N: i32 = 4;
@inline export const ROLLVAR_ARRAYS: i32 = 5;

// bbands (volatility.ts): arrays of np (n rounded up to 4) f64: the ROLLVAR arrays of each distinct
// window, then in cell 0 of BBANDS_DIRTY the last bar whose src is NaN or zero; mults, window
// indices, block columns, the hash and the table follow.
@inline export const BBANDS_DIRTY: i32 = 5;
@inline export const BBANDS_ARRAYS: i32 = 6;

// volume_sma (volume.ts): the rolling sum (S, k, z), the window.
@inline export const VOLUME_SMA_SUM: i32 = 0;
@inline export const VOLUME_SMA_N: i32 = 3;
@inline export const VOLUME_SMA_ARRAYS: i32 = 4;

// cmf (volume.ts): the rolling sums (S, k, z) of the money-flow volume and of volume, the window; two
// cells (the running AD, the previous bar's AD) and the ring of DIFF(AD) follow, all of it state.
@inline export const CMF_NUM: i32 = 0;
@inline export const CMF_DEN: i32 = 3;
@inline export const CMF_N: i32 = 6;
@inline export const CMF_ARRAYS: i32 = 7;

// mfi (volume.ts): the sums of positive and negative money flow, the window as f64 and (stored as
// i32) as an index; the last NaN and non-zero bars (16 bytes) and the two flow rings follow (the
// state), then the chunk arrays.
@inline export const MFI_POS: i32 = 0;
@inline export const MFI_NEG: i32 = 1;
@inline export const MFI_N: i32 = 2;
@inline export const MFI_W: i32 = 3;
@inline export const MFI_ARRAYS: i32 = 4;

// vwap, vwap_deviation (volume.ts): the rolling sums (S, k, z) of TP·volume and of volume, the window,
// the band multiplier, the rolling variance (S, Q, k, z) of the deviation E; the TP·volume ring and
// (vwap_deviation) the rings of E follow (the state), then the TP ring of the call.
@inline export const VWAP_NUM: i32 = 0;
@inline export const VWAP_DEN: i32 = 3;
@inline export const VWAP_N: i32 = 6;
@inline export const VWAP_MULT: i32 = 7;
@inline export const VWAP_VAR: i32 = 8;
@inline export const VWAP_ARRAYS: i32 = 12;
