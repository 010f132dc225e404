// Kernel entry points only. Every export has the uniform kernel signature of ma.ts.
export { ema, rma, dema, tema, zlema, sma, wma, hma, vwma } from './ma';
export { tr, atr, bbands, rollvar, hv } from './volatility';
export { ln_f64 } from './mathlog';
