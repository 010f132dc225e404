// Kernel entry points, each with the uniform kernel signature of ma.ts; ln_f64 (mathlog.ts), one value's ln;
// copy_bytes (lanes.ts), a memory.copy for the host.
export { ema, rma, dema, tema, zlema, sma, wma, hma, vwma } from './ma';
export { tr, atr, bbands, rollvar, hv } from './volatility';
export { ad_line, cmf, mfi, obv, volume_sma, vwap, vwap_deviation } from './volume';
export { candle_stats, candle_stats_atr_norm, distance_to_ma_norm, percent_rank, pivots, zscore } from './structure';
export { cci, fisher, macd, ppo, roc, rsi, stoch, stoch_rsi, trix, williams_r } from './momentum';
export { adx, aroon, chandelier_exit, donchian, ichimoku, keltner, linreg_slope, psar, supertrend, vortex } from './trend';
export { ln_f64 } from './mathlog';
export { copy_bytes } from './lanes';
export { backtest } from './backtest';
