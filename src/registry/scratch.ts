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
