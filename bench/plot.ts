/**
 * `gridta bench --plot FILE.svg`: a hand-built SVG bar chart (no plotting dependency) of values/s
 * per case and library on a log scale, one group of horizontal bars per case, for the README.
 */

export interface PlotBar {
  library: string;
  valuesPerSec: number;
  family: string;
}
export interface PlotGroup {
  id: string;
  bars: readonly PlotBar[];
}

const PALETTE: Readonly<Record<string, string>> = {
  gridta: '#1f6feb',
  'gridta-threads': '#0b3d91',
  'gridta-scalar': '#79a7f7',
  plain: '#6e7781',
  peer: '#d29922',
};
const PEER_COLORS = ['#d29922', '#bf3989', '#1a7f37', '#cf222e', '#8250df', '#953800', '#0969da'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function human(x: number): string {
  if (x >= 1e9) return `${(x / 1e9).toFixed(x >= 1e10 ? 0 : 1)} G`;
  if (x >= 1e6) return `${(x / 1e6).toFixed(x >= 1e7 ? 0 : 1)} M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(x >= 1e4 ? 0 : 1)} k`;
  return x.toFixed(0);
}

/** The SVG document. `title` goes on top, `subtitle` (machine, date) under it. */
export function barChartSvg(groups: readonly PlotGroup[], title: string, subtitle: string): string {
  const all = groups.flatMap((g) => g.bars.map((b) => b.valuesPerSec)).filter((v) => v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...all, 1e6)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...all, 1e7)));
  const labelW = 300,
    plotW = 560,
    right = 90,
    barH = 14,
    gap = 3,
    groupGap = 18,
    top = 70,
    axisH = 30;
  const width = labelW + plotW + right;
  const peerColor = new Map<string, string>();
  for (const g of groups)
    for (const b of g.bars)
      if (b.family === 'peer' && !peerColor.has(b.library)) peerColor.set(b.library, PEER_COLORS[peerColor.size % PEER_COLORS.length]!);
  const color = (b: PlotBar): string => (b.family === 'peer' ? peerColor.get(b.library)! : (PALETTE[b.family] ?? '#999'));
  const x = (v: number): number => labelW + (plotW * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  const parts: string[] = [];
  let y = top;
  for (const g of groups) {
    parts.push(`<text x="8" y="${y + 11}" font-weight="bold">${esc(g.id)}</text>`);
    y += 16;
    for (const b of g.bars) {
      const v = b.valuesPerSec;
      const w = v > 0 ? Math.max(1, x(v) - labelW) : 0;
      parts.push(`<text x="${labelW - 6}" y="${y + barH - 3}" text-anchor="end">${esc(b.library)}</text>`);
      parts.push(
        `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color(b)}"><title>${esc(`${g.id} · ${b.library}: ${human(v)} values/s`)}</title></rect>`,
      );
      parts.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + barH - 3}">${human(v)}</text>`);
      y += barH + gap;
    }
    y += groupGap;
  }
  const bottom = y;
  const grid: string[] = [];
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const gx = x(d).toFixed(1);
    grid.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${bottom}" stroke="#d0d7de" stroke-dasharray="2,3"/>`);
    grid.push(`<text x="${gx}" y="${bottom + 16}" text-anchor="middle">${human(d)}</text>`);
  }
  const height = bottom + axisH;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="8" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="8" y="42" fill="#57606a">${esc(subtitle)}</text>`,
    `<text x="${labelW + plotW / 2}" y="${top - 12}" text-anchor="middle" fill="#57606a">values per second (bars × variants), log scale — longer is faster</text>`,
    ...grid,
    ...parts,
    `</svg>`,
    '',
  ].join('\n');
}
