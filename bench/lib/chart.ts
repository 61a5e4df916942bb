/**
 * A grouped bar chart as hand-written SVG: one group per scenario, one bar per server under
 * test, on a logarithmic axis (the ceilings are orders of magnitude above the slowest).
 */

export interface ChartSeries {
  label: string;
  color: string;
}

export interface ChartGroup {
  label: string;
  /** One value per series (null: not measured in this scenario). */
  values: Array<number | null>;
}

export interface ChartSpec {
  title: string;
  yLabel: string;
  series: ChartSeries[];
  groups: ChartGroup[];
  footnote?: string;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k`;
  return n >= 10 ? n.toFixed(0) : n.toFixed(1);
}

export function groupedBarChart(spec: ChartSpec): string {
  const barW = 16;
  const gap = 3;
  const groupPad = 26;
  const left = 70;
  const right = 20;
  const top = 70;
  const plotH = 300;
  const bottom = 70;
  const n = spec.series.length;
  const groupW = n * barW + (n - 1) * gap + groupPad;
  const width = Math.max(800, left + right + spec.groups.length * groupW);
  const height = top + plotH + bottom;

  const all = spec.groups.flatMap((g) => g.values).filter((v): v is number => v !== null && v > 0);
  const minExp = Math.floor(Math.log10(Math.max(1, Math.min(...all))));
  const maxExp = Math.ceil(Math.log10(Math.max(10, ...all)));
  const y = (v: number): number =>
    top + plotH - ((Math.log10(Math.max(v, 10 ** minExp)) - minExp) / (maxExp - minExp)) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(spec.title)}</text>`);

  // Legend.
  let lx = left;
  for (const s of spec.series) {
    out.push(`<rect x="${lx}" y="34" width="11" height="11" fill="${s.color}"/>`);
    out.push(`<text x="${lx + 15}" y="44">${esc(s.label)}</text>`);
    lx += 22 + s.label.length * 6.2;
  }

  // Axis and grid: one line per power of ten.
  for (let e = minExp; e <= maxExp; e++) {
    const gy = y(10 ** e);
    out.push(
      `<line x1="${left}" x2="${width - right}" y1="${gy}" y2="${gy}" stroke="#dddddd" stroke-width="1"/>`,
    );
    out.push(`<text x="${left - 6}" y="${gy + 4}" text-anchor="end">${compact(10 ** e)}</text>`);
  }
  out.push(
    `<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  );
  out.push(
    `<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#444444"/><line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#444444"/>`,
  );

  spec.groups.forEach((g, gi) => {
    const gx = left + groupPad / 2 + gi * groupW;
    g.values.forEach((v, si) => {
      const x = gx + si * (barW + gap);
      if (v === null || v <= 0) {
        // Nothing answered ok in the measured time: say so where the bar would be.
        if (v !== null)
          out.push(
            `<text transform="translate(${x + barW / 2 + 3} ${top + plotH - 3}) rotate(-90)" font-size="9">0</text>`,
          );
        return;
      }
      const by = y(v);
      out.push(
        `<rect x="${x}" y="${by.toFixed(1)}" width="${barW}" height="${(top + plotH - by).toFixed(1)}" fill="${spec.series[si]!.color}"><title>${esc(`${spec.series[si]!.label}, ${g.label}: ${Math.round(v)}`)}</title></rect>`,
      );
      out.push(
        `<text transform="translate(${x + barW / 2 + 3} ${(by - 3).toFixed(1)}) rotate(-90)" font-size="9">${compact(v)}</text>`,
      );
    });
    const cx = gx + (n * barW + (n - 1) * gap) / 2;
    const lines = g.label.split('\n');
    lines.forEach((line, li) => {
      out.push(`<text x="${cx}" y="${top + plotH + 16 + li * 13}" text-anchor="middle">${esc(line)}</text>`);
    });
  });
  out.push(
    `<text x="${left}" y="${height - 12}" font-size="10" fill="#555555">${esc(spec.footnote ?? '')}</text>`,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
