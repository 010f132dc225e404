/**
 * Plain-JS baselines: hand-written loops computing the same outputs as gridta with the spec's
 * formulas (indicators.md §2, per-id text), the way a careful JavaScript developer would write them
 * for a whole grid: time outermost, per-variant (or per-window) state in Float64Arrays, shared
 * per-bar terms computed once, every output written row by row in TIME_MAJOR order
 * (`out[t·V + v]`). Variants follow gridta's order (axes in definition order, last axis fastest).
 *
 * State that depends only on one parameter (a window) is kept once per distinct value and shared by
 * the variants that use it (bbands over mult, macd over fast/slow EMAs, adx over its DI windows):
 * that is what a careful developer does, and it makes the baseline harder to beat, not easier.
 */

/** The candle series a plain loop reads (float32, as gridta gets them). */
export interface PlainInputs {
  readonly close: Float32Array;
  readonly high?: Float32Array;
  readonly low?: Float32Array;
  readonly volume?: Float32Array;
}

const need = (x: Float32Array | undefined, name: string): Float32Array => {
  if (!x) throw new Error(`plain loop: the candles have no ${name} series`);
  return x;
};

/** EMA grid (§2.5): α = 2/(n+1), seeded with the first valid value, reset on NaN. */
export function plainEma(close: Float32Array, windows: readonly number[], out: Float32Array): void {
  const V = windows.length, T = close.length;
  const a = new Float64Array(V), b = new Float64Array(V), y = new Float64Array(V).fill(NaN);
  for (let j = 0; j < V; j++) { a[j] = 2 / (windows[j]! + 1); b[j] = 1 - a[j]!; }
  for (let i = 0; i < T; i++) {
    const x = close[i]!;
    const row = i * V;
    if (x !== x) { for (let j = 0; j < V; j++) { y[j] = NaN; out[row + j] = NaN; } continue; }
    for (let j = 0; j < V; j++) {
      const yy = y[j]!;
      const v = yy !== yy ? x : a[j]! * x + b[j]! * yy;
      y[j] = v;
      out[row + j] = v;
    }
  }
}

/** SMA grid (ROLLSUM / n, §2.1–2.2, with the NaN counter and the all-zero reset). */
export function plainSma(close: Float32Array, windows: readonly number[], out: Float32Array): void {
  const V = windows.length, T = close.length;
  const S = new Float64Array(V), k = new Int32Array(V), z = new Int32Array(V);
  for (let i = 0; i < T; i++) {
    const v = close[i]!;
    const row = i * V;
    for (let j = 0; j < V; j++) {
      const n = windows[j]!;
      let s = S[j]!;
      if (v !== v) k[j]!++; else { if (v !== 0) z[j]!++; s += v; }
      if (i >= n) { const u = close[i - n]!; if (u !== u) k[j]!--; else { if (u !== 0) z[j]!--; s -= u; } }
      if (z[j] === 0) s = 0;
      S[j] = s;
      out[row + j] = i < n - 1 || k[j]! > 0 ? NaN : s / n;
    }
  }
}

/** Wilder RSI grid (momentum.rsi): shared previous price, per-variant average gain/loss. */
export function plainRsi(close: Float32Array, windows: readonly number[], out: Float32Array): void {
  const V = windows.length, T = close.length;
  const a = new Float64Array(V), b = new Float64Array(V);
  const G = new Float64Array(V).fill(NaN), L = new Float64Array(V).fill(NaN);
  for (let j = 0; j < V; j++) { a[j] = 1 / windows[j]!; b[j] = 1 - a[j]!; }
  let p = NaN;
  for (let i = 0; i < T; i++) {
    const x = close[i]!;
    const row = i * V;
    if (x !== x || p !== p) {
      if (x !== x) { G.fill(NaN); L.fill(NaN); }
      for (let j = 0; j < V; j++) out[row + j] = NaN;
      p = x;
      continue;
    }
    const d = x - p;
    const g = d > 0 ? d : 0, q = d < 0 ? -d : 0;
    for (let j = 0; j < V; j++) {
      let gg = G[j]!, ll = L[j]!;
      gg = gg !== gg ? g : a[j]! * g + b[j]! * gg;
      ll = ll !== ll ? q : a[j]! * q + b[j]! * ll;
      G[j] = gg; L[j] = ll;
      out[row + j] = ll === 0 ? (gg === 0 ? NaN : 100) : 100 - 100 / (1 + gg / ll);
    }
    p = x;
  }
}

/** TR of bar i (§2.9): NaN without high/low, high − low without a previous close. */
function trueRangeAt(high: Float32Array, low: Float32Array, close: Float32Array, i: number): number {
  const h = high[i]!, l = low[i]!;
  if (h !== h || l !== l) return NaN;
  const r = h - l;
  const pc = i === 0 ? NaN : close[i - 1]!;
  if (pc !== pc) return r;
  const x = Math.abs(h - pc), y = Math.abs(l - pc);
  let tr = r;
  if (x > tr) tr = x;
  if (y > tr) tr = y;
  return tr;
}

/** ATR grid (§2.9): TR once per bar, one RMA (α = 1/n) per variant. */
export function plainAtr(inp: PlainInputs, windows: readonly number[], out: Float32Array): void {
  const high = need(inp.high, 'high'), low = need(inp.low, 'low'), close = inp.close;
  const V = windows.length, T = close.length;
  const a = new Float64Array(V), b = new Float64Array(V), y = new Float64Array(V).fill(NaN);
  for (let j = 0; j < V; j++) { a[j] = 1 / windows[j]!; b[j] = 1 - a[j]!; }
  for (let i = 0; i < T; i++) {
    const tr = trueRangeAt(high, low, close, i);
    const row = i * V;
    if (tr !== tr) { for (let j = 0; j < V; j++) { y[j] = NaN; out[row + j] = NaN; } continue; }
    for (let j = 0; j < V; j++) {
      const yy = y[j]!;
      const v = yy !== yy ? tr : a[j]! * tr + b[j]! * yy;
      y[j] = v;
      out[row + j] = v;
    }
  }
}

/**
 * Bollinger grid (volatility.bbands, axes mult × window): ROLLSUM/ROLLVAR state per window (§2.3),
 * basis and sd once per window and bar, the bands per mult. outs = [basis, upper, lower].
 */
export function plainBbands(close: Float32Array, mults: readonly number[], windows: readonly number[], outs: readonly Float32Array[]): void {
  const [basisOut, upperOut, lowerOut] = outs as [Float32Array, Float32Array, Float32Array];
  const W = windows.length, M = mults.length, V = W * M, T = close.length;
  const S = new Float64Array(W), Q = new Float64Array(W), k = new Int32Array(W), z = new Int32Array(W);
  for (let i = 0; i < T; i++) {
    const v = close[i]!;
    const row = i * V;
    for (let w = 0; w < W; w++) {
      const n = windows[w]!;
      let s = S[w]!, q = Q[w]!;
      if (v !== v) k[w]!++; else { if (v !== 0) z[w]!++; s += v; q += v * v; }
      if (i >= n) { const u = close[i - n]!; if (u !== u) k[w]!--; else { if (u !== 0) z[w]!--; s -= u; q -= u * u; } }
      if (z[w] === 0) { s = 0; q = 0; }
      S[w] = s; Q[w] = q;
      if (i < n - 1 || k[w]! > 0) {
        for (let m = 0; m < M; m++) { const o = row + m * W + w; basisOut[o] = NaN; upperOut[o] = NaN; lowerOut[o] = NaN; }
        continue;
      }
      const mean = s / n;
      let vr = q / n - mean * mean;
      if (vr < 0 && vr > -1e-12) vr = 0;
      const sd = Math.sqrt(vr);
      for (let m = 0; m < M; m++) {
        const o = row + m * W + w;
        const d = mults[m]! * sd;
        basisOut[o] = mean;
        upperOut[o] = mean + d;
        lowerOut[o] = mean - d;
      }
    }
  }
}

/**
 * MACD grid (momentum.macd, axes fast × signal × slow): one EMA per distinct fast and slow window,
 * macd = F − S per variant, signal = EMA(macd) per variant, hist = macd − signal.
 * outs = [macd, signal, hist].
 */
export function plainMacd(close: Float32Array, fasts: readonly number[], signals: readonly number[], slows: readonly number[], outs: readonly Float32Array[]): void {
  const [macdOut, signalOut, histOut] = outs as [Float32Array, Float32Array, Float32Array];
  const NF = fasts.length, NG = signals.length, NS = slows.length, V = NF * NG * NS, T = close.length;
  const fa = new Float64Array(NF), fb = new Float64Array(NF), F = new Float64Array(NF);
  const sa = new Float64Array(NS), sb = new Float64Array(NS), S = new Float64Array(NS);
  const ga = new Float64Array(V), gb = new Float64Array(V), G = new Float64Array(V).fill(NaN);
  for (let f = 0; f < NF; f++) { fa[f] = 2 / (fasts[f]! + 1); fb[f] = 1 - fa[f]!; }
  for (let s = 0; s < NS; s++) { sa[s] = 2 / (slows[s]! + 1); sb[s] = 1 - sa[s]!; }
  for (let v = 0; v < V; v++) { const g = Math.floor(v / NS) % NG; ga[v] = 2 / (signals[g]! + 1); gb[v] = 1 - ga[v]!; }
  let seeded = false;
  for (let i = 0; i < T; i++) {
    const x = close[i]!;
    const row = i * V;
    if (x !== x) {
      seeded = false;
      G.fill(NaN);
      for (let v = 0; v < V; v++) { macdOut[row + v] = NaN; signalOut[row + v] = NaN; histOut[row + v] = NaN; }
      continue;
    }
    if (!seeded) { F.fill(x); S.fill(x); seeded = true; }
    else {
      for (let f = 0; f < NF; f++) F[f] = fa[f]! * x + fb[f]! * F[f]!;
      for (let s = 0; s < NS; s++) S[s] = sa[s]! * x + sb[s]! * S[s]!;
    }
    let v = 0;
    for (let f = 0; f < NF; f++) {
      const fv = F[f]!;
      for (let g = 0; g < NG; g++) {
        for (let s = 0; s < NS; s++, v++) {
          const m = fv - S[s]!;
          const gg = G[v]!;
          const sig = gg !== gg ? m : ga[v]! * m + gb[v]! * gg;
          G[v] = sig;
          macdOut[row + v] = m;
          signalOut[row + v] = sig;
          histOut[row + v] = m - sig;
        }
      }
    }
  }
}

/**
 * ADX grid (trend.adx, axes window × smoothing): TR, +DM, −DM once per bar; ATR and the two DM
 * RMAs once per window; DX per window; the ADX RMA per variant. outs = [adx, plus_di, minus_di].
 */
export function plainAdx(inp: PlainInputs, windows: readonly number[], smoothings: readonly number[], outs: readonly Float32Array[]): void {
  const high = need(inp.high, 'high'), low = need(inp.low, 'low'), close = inp.close;
  const [adxOut, plusOut, minusOut] = outs as [Float32Array, Float32Array, Float32Array];
  const W = windows.length, NS = smoothings.length, V = W * NS, T = close.length;
  const wa = new Float64Array(W), wb = new Float64Array(W);
  const A = new Float64Array(W).fill(NaN), SP = new Float64Array(W).fill(NaN), SM = new Float64Array(W).fill(NaN);
  const pdi = new Float64Array(W), mdi = new Float64Array(W), dx = new Float64Array(W);
  const xa = new Float64Array(NS), xb = new Float64Array(NS), X = new Float64Array(V).fill(NaN);
  for (let w = 0; w < W; w++) { wa[w] = 1 / windows[w]!; wb[w] = 1 - wa[w]!; }
  for (let s = 0; s < NS; s++) { xa[s] = 1 / smoothings[s]!; xb[s] = 1 - xa[s]!; }
  for (let i = 0; i < T; i++) {
    const row = i * V;
    const h = high[i]!, l = low[i]!;
    const tr = trueRangeAt(high, low, close, i);
    let pdm: number, mdm: number;
    if (h !== h || l !== l) { pdm = NaN; mdm = NaN; }
    else {
      const ph = i === 0 ? NaN : high[i - 1]!, pl = i === 0 ? NaN : low[i - 1]!;
      if (ph !== ph || pl !== pl) { pdm = 0; mdm = 0; }
      else {
        const up = h - ph, dn = pl - l;
        pdm = up > dn && up > 0 ? up : 0;
        mdm = dn > up && dn > 0 ? dn : 0;
      }
    }
    for (let w = 0; w < W; w++) {
      const a = wa[w]!, b = wb[w]!;
      let at = A[w]!, sp = SP[w]!, sm = SM[w]!;
      at = tr !== tr ? NaN : at !== at ? tr : a * tr + b * at;
      sp = pdm !== pdm ? NaN : sp !== sp ? pdm : a * pdm + b * sp;
      sm = mdm !== mdm ? NaN : sm !== sm ? mdm : a * mdm + b * sm;
      A[w] = at; SP[w] = sp; SM[w] = sm;
      if (at !== at || sp !== sp || sm !== sm || at === 0) { pdi[w] = NaN; mdi[w] = NaN; dx[w] = NaN; continue; }
      const p = 100 * (sp / at), m = 100 * (sm / at);
      const sum = p + m;
      pdi[w] = p; mdi[w] = m;
      dx[w] = sum === 0 ? NaN : 100 * (Math.abs(p - m) / sum);
    }
    let v = 0;
    for (let w = 0; w < W; w++) {
      const d = dx[w]!, p = pdi[w]!, m = mdi[w]!;
      for (let s = 0; s < NS; s++, v++) {
        const xx = X[v]!;
        const y = d !== d ? NaN : xx !== xx ? d : xa[s]! * d + xb[s]! * xx;
        X[v] = y;
        adxOut[row + v] = y;
        plusOut[row + v] = p;
        minusOut[row + v] = m;
      }
    }
  }
}

/**
 * MFI grid (volume.mfi): the money flows once per bar (kept in two Float64Arrays so a window can
 * drop its oldest flow), two ROLLSUMs per window with their NaN counters and all-zero resets.
 */
export function plainMfi(inp: PlainInputs, windows: readonly number[], out: Float32Array): void {
  const high = need(inp.high, 'high'), low = need(inp.low, 'low'), close = inp.close, volume = need(inp.volume, 'volume');
  const V = windows.length, T = close.length;
  const pos = new Float64Array(T).fill(NaN), neg = new Float64Array(T).fill(NaN);
  let pt = (high[0]! + low[0]! + close[0]!) / 3;
  for (let i = 1; i < T; i++) {
    const tp = (high[i]! + low[i]! + close[i]!) / 3;
    const vol = volume[i]!;
    if (tp === tp && pt === pt && vol === vol) {
      const rmf = tp * vol;
      if (tp > pt) { pos[i] = rmf; neg[i] = 0; } else if (tp < pt) { pos[i] = 0; neg[i] = rmf; } else { pos[i] = 0; neg[i] = 0; }
    }
    pt = tp;
  }
  const SP = new Float64Array(V), SN = new Float64Array(V);
  const kp = new Int32Array(V), zp = new Int32Array(V), kn = new Int32Array(V), zn = new Int32Array(V);
  for (let i = 0; i < T; i++) {
    const p = pos[i]!, q = neg[i]!;
    const row = i * V;
    for (let j = 0; j < V; j++) {
      const n = windows[j]!;
      let sp = SP[j]!, sn = SN[j]!;
      if (p !== p) kp[j]!++; else { if (p !== 0) zp[j]!++; sp += p; }
      if (q !== q) kn[j]!++; else { if (q !== 0) zn[j]!++; sn += q; }
      if (i >= n) {
        const u = pos[i - n]!, r = neg[i - n]!;
        if (u !== u) kp[j]!--; else { if (u !== 0) zp[j]!--; sp -= u; }
        if (r !== r) kn[j]!--; else { if (r !== 0) zn[j]!--; sn -= r; }
      }
      if (zp[j] === 0) sp = 0;
      if (zn[j] === 0) sn = 0;
      SP[j] = sp; SN[j] = sn;
      out[row + j] = i < n - 1 || kp[j]! > 0 || kn[j]! > 0 ? NaN : sn === 0 ? 100 : 100 - 100 / (1 + sp / sn);
    }
  }
}

/** Rolling z-score grid (structure.zscore): (src − ROLLMEAN) / sqrt(ROLLVAR), NaN on a zero variance. */
export function plainZscore(close: Float32Array, windows: readonly number[], out: Float32Array): void {
  const V = windows.length, T = close.length;
  const S = new Float64Array(V), Q = new Float64Array(V), k = new Int32Array(V), z = new Int32Array(V);
  for (let i = 0; i < T; i++) {
    const v = close[i]!;
    const row = i * V;
    for (let j = 0; j < V; j++) {
      const n = windows[j]!;
      let s = S[j]!, q = Q[j]!;
      if (v !== v) k[j]!++; else { if (v !== 0) z[j]!++; s += v; q += v * v; }
      if (i >= n) { const u = close[i - n]!; if (u !== u) k[j]!--; else { if (u !== 0) z[j]!--; s -= u; q -= u * u; } }
      if (z[j] === 0) { s = 0; q = 0; }
      S[j] = s; Q[j] = q;
      if (i < n - 1 || k[j]! > 0) { out[row + j] = NaN; continue; }
      const mean = s / n;
      let vr = q / n - mean * mean;
      if (vr < 0 && vr > -1e-12) vr = 0;
      out[row + j] = vr === 0 ? NaN : (v - mean) / Math.sqrt(vr);
    }
  }
}
