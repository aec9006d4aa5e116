/** SVG of a bench:drop result: per side, requests served / rejected / failed per second, and codes won so far. */

interface Bucket {
  t: number;
  served: number;
  rejected: number;
  failed: number;
}
interface Won {
  t: number;
  legit: number;
  bots: number;
}
export interface ChartSide {
  label: string;
  requests: Bucket[];
  redeemed: Won[];
}

const W = 900;
const PANEL_H = 230;
const M = { left: 70, right: 70, top: 56, bottom: 40 };
const COLORS = { served: '#2e7d32', rejected: '#ef6c00', failed: '#c62828', legit: '#1565c0', bots: '#6a1b9a' };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const niceMax = (v: number): number => {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
};

export function dropChart(title: string, sides: readonly ChartSide[], totalCodes: number): string {
  const seconds = Math.max(1, ...sides.map((s) => Math.max(s.requests.length, s.redeemed.length)));
  const rateMax = niceMax(Math.max(1, ...sides.flatMap((s) => s.requests.map((b) => Math.max(b.served, b.rejected, b.failed)))));
  const plotW = W - M.left - M.right;
  const H = M.top + sides.length * (PANEL_H + M.bottom) + 30;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
  ];
  const x = (t: number): number => M.left + (t / seconds) * plotW;
  sides.forEach((side, i) => {
    const top = M.top + i * (PANEL_H + M.bottom);
    const y = (v: number): number => top + PANEL_H - (v / rateMax) * PANEL_H;
    const yCodes = (v: number): number => top + PANEL_H - (v / totalCodes) * PANEL_H;
    out.push(`<text x="${M.left}" y="${top - 8}" font-weight="bold">${esc(side.label)}</text>`);
    out.push(`<rect x="${M.left}" y="${top}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
    for (let k = 0; k <= 4; k++) {
      const v = (rateMax * k) / 4;
      out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
      out.push(`<text x="${M.left - 6}" y="${y(v) + 4}" text-anchor="end">${Math.round(v).toLocaleString('en-US')}</text>`);
      out.push(`<text x="${M.left + plotW + 6}" y="${yCodes((totalCodes * k) / 4) + 4}" fill="${COLORS.legit}">${Math.round((totalCodes * k) / 4)}</text>`);
    }
    const ticks = niceMax(seconds / 8);
    for (let t = 0; t <= seconds; t += ticks) out.push(`<text x="${x(t)}" y="${top + PANEL_H + 16}" text-anchor="middle">${t} s</text>`);
    out.push(`<text x="14" y="${top + PANEL_H / 2}" transform="rotate(-90 14 ${top + PANEL_H / 2})" text-anchor="middle">requests / s</text>`);
    out.push(`<text x="${W - 10}" y="${top + PANEL_H / 2}" transform="rotate(90 ${W - 10} ${top + PANEL_H / 2})" text-anchor="middle" fill="${COLORS.legit}">codes won (cumulative)</text>`);
    for (const key of ['served', 'rejected', 'failed'] as const) {
      const pts = side.requests.map((b) => `${x(b.t + 0.5).toFixed(1)},${y(b[key]).toFixed(1)}`).join(' ');
      if (pts) out.push(`<polyline points="${pts}" fill="none" stroke="${COLORS[key]}" stroke-width="1.6"/>`);
    }
    for (const key of ['legit', 'bots'] as const) {
      let sum = 0;
      const pts = side.redeemed.map((w) => `${x(w.t + 1).toFixed(1)},${yCodes((sum += w[key])).toFixed(1)}`);
      if (pts.length) out.push(`<polyline points="${x(0)},${yCodes(0)} ${pts.join(' ')} ${x(seconds)},${yCodes(sum)}" fill="none" stroke="${COLORS[key]}" stroke-width="2" stroke-dasharray="${key === 'bots' ? '5,3' : '0'}"/>`);
    }
  });
  const legend: Array<[string, string, boolean]> = [
    ['served (2xx: redeemed or queued)', COLORS.served, false],
    ['rejected (4xx)', COLORS.rejected, false],
    ['failed (5xx, errors)', COLORS.failed, false],
    ['codes won by customers', COLORS.legit, false],
    ['codes won by bots', COLORS.bots, true],
  ];
  let lx = M.left;
  const ly = H - 14;
  for (const [text, color, dashed] of legend) {
    out.push(`<line x1="${lx}" x2="${lx + 22}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2.5"${dashed ? ' stroke-dasharray="5,3"' : ''}/>`);
    out.push(`<text x="${lx + 27}" y="${ly}">${esc(text)}</text>`);
    lx += 34 + text.length * 6.2;
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
