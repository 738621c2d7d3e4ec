/**
 * The text labels of a Graphviz SVG and where they are drawn: measured by a
 * real browser (chromium's getBBox), or estimated from Helvetica's font
 * metrics, the ones Graphviz itself lays text out with.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export interface Label {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const decode = (s: string) => s.replace(/&(#\d+|[a-z]+);/g, (m, e: string) => (e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : ENTITIES[e] ?? m));

/** Every `<text>` of the SVG, decoded, in document order. */
export function textsOf(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decode(m[1]));
}

/** Helvetica advance widths (1/1000 em) of the printable ASCII characters, space to tilde. */
const HELVETICA = (
  '278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 556 556 556 278 278 584 584 584 556 ' +
  '1015 667 667 722 722 667 611 778 722 278 500 667 556 833 722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 ' +
  '333 556 556 500 556 556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 260 334 584'
)
  .split(' ')
  .map(Number);

const advance = (c: string) => HELVETICA[(c.codePointAt(0) ?? 0) - 32] ?? 556;

/** Label boxes from the SVG's text positions and Helvetica's widths (ascent 0.905 em, descent 0.212 em). */
export function estimatedLabels(svg: string): Label[] {
  return [...svg.matchAll(/<text([^>]*)>([^<]*)<\/text>/g)].map(([, a, raw]) => {
    const attr = (name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(a)?.[1];
    const text = decode(raw);
    const size = Number(attr('font-size') ?? 14);
    const width = ([...text].reduce((w, c) => w + advance(c), 0) / 1000) * size;
    const anchor = attr('text-anchor') ?? 'start';
    const x = Number(attr('x')) - (anchor === 'middle' ? width / 2 : anchor === 'end' ? width : 0);
    return { text, x, y: Number(attr('y')) - 0.905 * size, width, height: 1.117 * size };
  });
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

/** Label boxes as chromium draws them (`getBBox` of every `<text>`, in the SVG's user units). */
export async function renderedLabels(svg: string): Promise<Label[]> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage();
    await page.setContent(`<!doctype html><html><body>${svg.replace(/^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>)?/, '')}</body></html>`);
    return await page.$$eval('svg text', (texts) =>
      texts.map((t) => {
        const b = (t as unknown as { getBBox(): { x: number; y: number; width: number; height: number } }).getBBox();
        return { text: t.textContent ?? '', x: b.x, y: b.y, width: b.width, height: b.height };
      }),
    );
  } finally {
    await browser.close();
  }
}

/** Pairs of labels whose boxes overlap by more than `tolerance` units both ways (empty labels ignored). */
export function overlappingLabels(labels: readonly Label[], tolerance = 0.5): [string, string][] {
  const shown = labels.filter((l) => l.text.trim() !== '' && l.width > 0);
  const out: [string, string][] = [];
  for (let i = 0; i < shown.length; i++) {
    for (let j = i + 1; j < shown.length; j++) {
      const a = shown[i];
      const b = shown[j];
      const dx = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
      const dy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
      if (dx > tolerance && dy > tolerance) out.push([a.text, b.text]);
    }
  }
  return out;
}
