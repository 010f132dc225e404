/**
 * Plain-JS baselines: hand-written loops computing the same outputs as gridta with the spec's
 * formulas (the same primitives and per-id definitions), the way a careful JavaScript developer would write them
 * for a whole grid: time outermost, per-variant (or per-window) state in Float64Arrays, shared
 * per-bar terms computed once, every output written row by row in TIME_MAJOR order
 * (`out[t·V + v]`). Variants follow gridta's order (axes in definition order, last axis fastest).
 *
 * State is kept per variant (each variant does the same work as on gridta's side); only terms without a
 * parameter (TR, directional movement, money flows) are computed once per bar.
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

/** EMA grid: α = 2/(n+1), seeded with the first valid value, reset on NaN. */
export function plainEma(close: Float32Array, windows: readonly number[], out: Float32Array): void {
  const V = windows.length,
    T = close.length;
  const a = new Float64Array(V),
    b = new Float64Array(V),
    y = new Float64Array(V).fill(NaN);
  for (let j = 0; j < V; j++) {
    a[j] = 2 / (windows[j]! + 1);
    b[j] = 1 - a[j]!;
  }
  for (let i = 0; i < T; i++) {
    const x = close[i]!;
    const row = i * V;
    if (x !== x) {
      for (let j = 0; j < V; j++) {
        y[j] = NaN;
        out[row + j] = NaN;
      }
      continue;
    }
    for (let j = 0; j < V; j++) {
      const yy = y[j]!;
      const v = yy !== yy ? x : a[j]! * x + b[j]! * yy;
      y[j] = v;
      out[row + j] = v;
    }
  }
}

/** SMA grid (ROLLSUM / n, with the NaN counter and the all-zero reset). */
export function plainSma(close: Float32Array, windows: readonly number[], out: Float32Array): void {
  const V = windows.length,
    T = close.length;
  const S = new Float64Array(V),
    k = new Int32Array(V),
    z = new Int32Array(V);
  for (let i = 0; i < T; i++) {
    const v = close[i]!;
    const row = i * V;
    for (let j = 0; j < V; j++) {
      const n = windows[j]!;
      let s = S[j]!;
      if (v !== v) k[j]!++;
      else {
        if (v !== 0) z[j]!++;
        s += v;
      }
      if (i >= n) {
        const u = close[i - n]!;
        if (u !== u) k[j]!--;
        else {
          if (u !== 0) z[j]!--;
          s -= u;
        }
      }
      if (z[j] === 0) s = 0;
      S[j] = s;
      out[row + j] = i < n - 1 || k[j]! > 0 ? NaN : s / n;
    }
  }
}

/** Wilder RSI grid (momentum.rsi): shared previous price, per-variant average gain/loss. */
export function plainRsi(close: Float32Array, windows: readonly number[], out: Float32Array): void {
  const V = windows.length,
    T = close.length;
  const a = new Float64Array(V),
    b = new Float64Array(V);
  const G = new Float64Array(V).fill(NaN),
    L = new Float64Array(V).fill(NaN);
  for (let j = 0; j < V; j++) {
    a[j] = 1 / windows[j]!;
    b[j] = 1 - a[j]!;
  }
  let p = NaN;
  for (let i = 0; i < T; i++) {
    const x = close[i]!;
    const row = i * V;
    if (x !== x || p !== p) {
      if (x !== x) {
        G.fill(NaN);
        L.fill(NaN);
      }
      for (let j = 0; j < V; j++) out[row + j] = NaN;
      p = x;
      continue;
    }
    const d = x - p;
    const g = d > 0 ? d : 0,
      q = d < 0 ? -d : 0;
    for (let j = 0; j < V; j++) {
      let gg = G[j]!,
        ll = L[j]!;
      gg = gg !== gg ? g : a[j]! * g + b[j]! * gg;
      ll = ll !== ll ? q : a[j]! * q + b[j]! * ll;
      G[j] = gg;
      L[j] = ll;
      out[row + j] = ll === 0 ? (gg === 0 ? NaN : 100) : 100 - 100 / (1 + gg / ll);
    }
    p = x;
  }
}

/** TR of bar i: NaN without high/low, high − low without a previous close. */
function trueRangeAt(high: Float32Array, low: Float32Array, close: Float32Array, i: number): number {
  const h = high[i]!,
    l = low[i]!;
  if (h !== h || l !== l) return NaN;
  const r = h - l;
  const pc = i === 0 ? NaN : close[i - 1]!;
  if (pc !== pc) return r;
  const x = Math.abs(h - pc),
    y = Math.abs(l - pc);
  let tr = r;
  if (x > tr) tr = x;
  if (y > tr) tr = y;
  return tr;
}

/** ATR grid: TR once per bar, one RMA (α = 1/n) per variant. */
export function plainAtr(inp: PlainInputs, windows: readonly number[], out: Float32Array): void {
  const high = need(inp.high, 'high'),
    low = need(inp.low, 'low'),
    close = inp.close;
  const V = windows.length,
    T = close.length;
  const a = new Float64Array(V),
    b = new Float64Array(V),
    y = new Float64Array(V).fill(NaN);
  for (let j = 0; j < V; j++) {
    a[j] = 1 / windows[j]!;
    b[j] = 1 - a[j]!;
  }
  for (let i = 0; i < T; i++) {
    const tr = trueRangeAt(high, low, close, i);
    const row = i * V;
    if (tr !== tr) {
      for (let j = 0; j < V; j++) {
        y[j] = NaN;
        out[row + j] = NaN;
      }
      continue;
    }
    for (let j = 0; j < V; j++) {
      const yy = y[j]!;
      const v = yy !== yy ? tr : a[j]! * tr + b[j]! * yy;
      y[j] = v;
      out[row + j] = v;
    }
  }
}

/**
 * Bollinger grid (volatility.bbands, axes mult × window): ROLLSUM/ROLLVAR state per variant,
 * basis = S/n, sd = sqrt(Q/n − mean²), the bands at the variant's mult. outs = [basis, upper, lower].
 */
export function plainBbands(
  close: Float32Array,
  mults: readonly number[],
  windows: readonly number[],
  outs: readonly Float32Array[],
): void {
  const [basisOut, upperOut, lowerOut] = outs as [Float32Array, Float32Array, Float32Array];
  const W = windows.length,
    M = mults.length,
    V = W * M,
    T = close.length;
  const N = new Int32Array(V),
    K = new Float64Array(V);
  for (let m = 0; m < M; m++)
    for (let w = 0; w < W; w++) {
      N[m * W + w] = windows[w]!;
      K[m * W + w] = mults[m]!;
    }
  const S = new Float64Array(V),
    Q = new Float64Array(V),
    k = new Int32Array(V),
    z = new Int32Array(V);
  for (let i = 0; i < T; i++) {
    const v = close[i]!;
    const row = i * V;
    for (let j = 0; j < V; j++) {
      const n = N[j]!;
      let s = S[j]!,
        q = Q[j]!;
      if (v !== v) k[j]!++;
      else {
        if (v !== 0) z[j]!++;
        s += v;
        q += v * v;
      }
      if (i >= n) {
        const u = close[i - n]!;
        if (u !== u) k[j]!--;
        else {
          if (u !== 0) z[j]!--;
          s -= u;
          q -= u * u;
        }
      }
      if (z[j] === 0) {
        s = 0;
        q = 0;
      }
      S[j] = s;
      Q[j] = q;
      const o = row + j;
      if (i < n - 1 || k[j]! > 0) {
        basisOut[o] = NaN;
        upperOut[o] = NaN;
        lowerOut[o] = NaN;
        continue;
      }
      const mean = s / n;
      let vr = q / n - mean * mean;
      if (vr < 0 && vr > -1e-12) vr = 0;
      const d = K[j]! * Math.sqrt(vr);
      basisOut[o] = mean;
      upperOut[o] = mean + d;
      lowerOut[o] = mean - d;
    }
  }
}

/**
 * MACD grid (momentum.macd, axes fast × signal × slow): per variant a fast and a slow EMA,
 * macd = F − S, signal = EMA(macd), hist = macd − signal. outs = [macd, signal, hist].
 */
export function plainMacd(
  close: Float32Array,
  fasts: readonly number[],
  signals: readonly number[],
  slows: readonly number[],
  outs: readonly Float32Array[],
): void {
  const [macdOut, signalOut, histOut] = outs as [Float32Array, Float32Array, Float32Array];
  const NF = fasts.length,
    NG = signals.length,
    NS = slows.length,
    V = NF * NG * NS,
    T = close.length;
  const fa = new Float64Array(V),
    fb = new Float64Array(V),
    sa = new Float64Array(V),
    sb = new Float64Array(V),
    ga = new Float64Array(V),
    gb = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    const f = Math.floor(v / (NG * NS)),
      g = Math.floor(v / NS) % NG,
      s = v % NS;
    fa[v] = 2 / (fasts[f]! + 1);
    fb[v] = 1 - fa[v]!;
    sa[v] = 2 / (slows[s]! + 1);
    sb[v] = 1 - sa[v]!;
    ga[v] = 2 / (signals[g]! + 1);
    gb[v] = 1 - ga[v]!;
  }
  const F = new Float64Array(V).fill(NaN),
    S = new Float64Array(V).fill(NaN),
    G = new Float64Array(V).fill(NaN);
  for (let i = 0; i < T; i++) {
    const x = close[i]!;
    const row = i * V;
    if (x !== x) {
      F.fill(NaN);
      S.fill(NaN);
      G.fill(NaN);
      for (let v = 0; v < V; v++) {
        macdOut[row + v] = NaN;
        signalOut[row + v] = NaN;
        histOut[row + v] = NaN;
      }
      continue;
    }
    for (let v = 0; v < V; v++) {
      const ff = F[v]!,
        ss = S[v]!,
        gg = G[v]!;
      const fv = ff !== ff ? x : fa[v]! * x + fb[v]! * ff;
      const sv = ss !== ss ? x : sa[v]! * x + sb[v]! * ss;
      const m = fv - sv;
      const sig = gg !== gg ? m : ga[v]! * m + gb[v]! * gg;
      F[v] = fv;
      S[v] = sv;
      G[v] = sig;
      macdOut[row + v] = m;
      signalOut[row + v] = sig;
      histOut[row + v] = m - sig;
    }
  }
}

/**
 * ADX grid (trend.adx, axes window × smoothing): TR, +DM, −DM once per bar (they have no
 * parameter); per variant the ATR and DM RMAs, DX and the ADX RMA. outs = [adx, plus_di, minus_di].
 */
export function plainAdx(inp: PlainInputs, windows: readonly number[], smoothings: readonly number[], outs: readonly Float32Array[]): void {
  const high = need(inp.high, 'high'),
    low = need(inp.low, 'low'),
    close = inp.close;
  const [adxOut, plusOut, minusOut] = outs as [Float32Array, Float32Array, Float32Array];
  const W = windows.length,
    NS = smoothings.length,
    V = W * NS,
    T = close.length;
  const wa = new Float64Array(V),
    wb = new Float64Array(V),
    xa = new Float64Array(V),
    xb = new Float64Array(V);
  for (let v = 0; v < V; v++) {
    wa[v] = 1 / windows[Math.floor(v / NS)]!;
    wb[v] = 1 - wa[v]!;
    xa[v] = 1 / smoothings[v % NS]!;
    xb[v] = 1 - xa[v]!;
  }
  const A = new Float64Array(V).fill(NaN),
    SP = new Float64Array(V).fill(NaN),
    SM = new Float64Array(V).fill(NaN),
    X = new Float64Array(V).fill(NaN);
  for (let i = 0; i < T; i++) {
    const row = i * V;
    const h = high[i]!,
      l = low[i]!;
    const tr = trueRangeAt(high, low, close, i);
    let pdm: number, mdm: number;
    if (h !== h || l !== l) {
      pdm = NaN;
      mdm = NaN;
    } else {
      const ph = i === 0 ? NaN : high[i - 1]!,
        pl = i === 0 ? NaN : low[i - 1]!;
      if (ph !== ph || pl !== pl) {
        pdm = 0;
        mdm = 0;
      } else {
        const up = h - ph,
          dn = pl - l;
        pdm = up > dn && up > 0 ? up : 0;
        mdm = dn > up && dn > 0 ? dn : 0;
      }
    }
    for (let v = 0; v < V; v++) {
      const a = wa[v]!,
        b = wb[v]!;
      let at = A[v]!,
        sp = SP[v]!,
        sm = SM[v]!;
      at = tr !== tr ? NaN : at !== at ? tr : a * tr + b * at;
      sp = pdm !== pdm ? NaN : sp !== sp ? pdm : a * pdm + b * sp;
      sm = mdm !== mdm ? NaN : sm !== sm ? mdm : a * mdm + b * sm;
      A[v] = at;
      SP[v] = sp;
      SM[v] = sm;
      let p = NaN,
        m = NaN,
        dx = NaN;
      if (!(at !== at || sp !== sp || sm !== sm || at === 0)) {
        p = 100 * (sp / at);
        m = 100 * (sm / at);
        const sum = p + m;
        dx = sum === 0 ? NaN : 100 * (Math.abs(p - m) / sum);
      }
      const xx = X[v]!;
      const y = dx !== dx ? NaN : xx !== xx ? dx : xa[v]! * dx + xb[v]! * xx;
      X[v] = y;
      adxOut[row + v] = y;
      plusOut[row + v] = p;
      minusOut[row + v] = m;
    }
  }
}

/**
 * MFI grid (volume.mfi): the money flows once per bar (kept in two Float64Arrays so a window can
 * drop its oldest flow), two ROLLSUMs per window with their NaN counters and all-zero resets.
 */
export function plainMfi(inp: PlainInputs, windows: readonly number[], out: Float32Array): void {
  const high = need(inp.high, 'high'),
    low = need(inp.low, 'low'),
    close = inp.close,
    volume = need(inp.volume, 'volume');
  const V = windows.length,
    T = close.length;
  const pos = new Float64Array(T).fill(NaN),
    neg = new Float64Array(T).fill(NaN);
  let pt = (high[0]! + low[0]! + close[0]!) / 3;
  for (let i = 1; i < T; i++) {
    const tp = (high[i]! + low[i]! + close[i]!) / 3;
    const vol = volume[i]!;
    if (tp === tp && pt === pt && vol === vol) {
      const rmf = tp * vol;
      if (tp > pt) {
        pos[i] = rmf;
        neg[i] = 0;
      } else if (tp < pt) {
        pos[i] = 0;
        neg[i] = rmf;
      } else {
        pos[i] = 0;
        neg[i] = 0;
      }
    }
    pt = tp;
  }
  const SP = new Float64Array(V),
    SN = new Float64Array(V);
  const kp = new Int32Array(V),
    zp = new Int32Array(V),
    kn = new Int32Array(V),
    zn = new Int32Array(V);
  for (let i = 0; i < T; i++) {
    const p = pos[i]!,
      q = neg[i]!;
    const row = i * V;
    for (let j = 0; j < V; j++) {
      const n = windows[j]!;
      let sp = SP[j]!,
        sn = SN[j]!;
      if (p !== p) kp[j]!++;
      else {
        if (p !== 0) zp[j]!++;
        sp += p;
      }
      if (q !== q) kn[j]!++;
      else {
        if (q !== 0) zn[j]!++;
        sn += q;
      }
      if (i >= n) {
        const u = pos[i - n]!,
          r = neg[i - n]!;
        if (u !== u) kp[j]!--;
        else {
          if (u !== 0) zp[j]!--;
          sp -= u;
        }
        if (r !== r) kn[j]!--;
        else {
          if (r !== 0) zn[j]!--;
          sn -= r;
        }
      }
      if (zp[j] === 0) sp = 0;
      if (zn[j] === 0) sn = 0;
      SP[j] = sp;
      SN[j] = sn;
      out[row + j] = i < n - 1 || kp[j]! > 0 || kn[j]! > 0 ? NaN : sn === 0 ? 100 : 100 - 100 / (1 + sp / sn);
    }
  }
}

/** Rolling z-score grid (structure.zscore): (src − ROLLMEAN) / sqrt(ROLLVAR), NaN on a zero variance. */
export function plainZscore(close: Float32Array, windows: readonly number[], out: Float32Array): void {
  const V = windows.length,
    T = close.length;
  const S = new Float64Array(V),
    Q = new Float64Array(V),
    k = new Int32Array(V),
    z = new Int32Array(V);
  for (let i = 0; i < T; i++) {
    const v = close[i]!;
    const row = i * V;
    for (let j = 0; j < V; j++) {
      const n = windows[j]!;
      let s = S[j]!,
        q = Q[j]!;
      if (v !== v) k[j]!++;
      else {
        if (v !== 0) z[j]!++;
        s += v;
        q += v * v;
      }
      if (i >= n) {
        const u = close[i - n]!;
        if (u !== u) k[j]!--;
        else {
          if (u !== 0) z[j]!--;
          s -= u;
          q -= u * u;
        }
      }
      if (z[j] === 0) {
        s = 0;
        q = 0;
      }
      S[j] = s;
      Q[j] = q;
      if (i < n - 1 || k[j]! > 0) {
        out[row + j] = NaN;
        continue;
      }
      const mean = s / n;
      let vr = q / n - mean * mean;
      if (vr < 0 && vr > -1e-12) vr = 0;
      out[row + j] = vr === 0 ? NaN : (v - mean) / Math.sqrt(vr);
    }
  }
}
