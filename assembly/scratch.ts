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
