// @vitest-environment happy-dom
import './setup';
import { h } from 'preact';
import { afterEach, describe, expect, it } from 'vitest';
import { mountInShadow } from '../../widget/mount';
import { css } from '../../widget/styles';

// The default palettes, read from the stylesheet that ships (`--x:var(--alloy-<token>,#hex)`), so
// what is checked here is what users get.
function palette(selector: string): Record<string, string> {
  const start = css.indexOf(`${selector}{`);
  expect(start, selector).toBeGreaterThanOrEqual(0);
  const block = css.slice(start, css.indexOf('}', start));
  return Object.fromEntries([...block.matchAll(/--alloy-(\w+),(#[\da-f]{3,6})\)/g)].map(([, token, hex]) => [token!, hex!]));
}

/** WCAG 2.x relative luminance of a #rgb / #rrggbb colour. */
function luminance(hex: string): number {
  const full = hex.length === 4 ? hex.replace(/\w/g, (c) => c + c) : hex;
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(full.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG 2.x contrast ratio, rounded down to two decimals (so 4.499 is not 4.5). */
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return Math.floor(((hi! + 0.05) / (lo! + 0.05)) * 100) / 100;
}

const schemes = { light: palette(':host>div'), dark: palette('div.dark') };

describe('the default palettes', () => {
  it('define every colour token in both schemes, and auto is the dark one under prefers-color-scheme: dark', () => {
    for (const p of Object.values(schemes)) expect(Object.keys(p).sort()).toEqual(['accent', 'border', 'danger', 'muted', 'success', 'surface', 'text']);
    const auto = css.slice(css.indexOf('@media(prefers-color-scheme:dark){div.auto{'));
    expect(auto.slice(auto.indexOf('{div.auto') + 1, auto.indexOf('}'))).toBe(
      css.slice(css.indexOf('div.dark'), css.indexOf('}', css.indexOf('div.dark'))).replace('div.dark', 'div.auto'),
    );
    // The focus ring is the accent unless a theme says otherwise.
    expect(css).toContain('--o:var(--alloy-focus,var(--a))');
  });

  for (const [name, p] of Object.entries(schemes)) {
    it(`${name}: text 4.5:1 and components 3:1 on the surface (WCAG AA)`, () => {
      const ratios = {
        text: contrast(p.text!, p.surface!),
        muted: contrast(p.muted!, p.surface!),
        // Secondary buttons' text and badges, and (both ways) the main buttons' surface-coloured text.
        accent: contrast(p.accent!, p.surface!),
        danger: contrast(p.danger!, p.surface!),
        success: contrast(p.success!, p.surface!),
        // Field borders and the focus ring are what shows a component: 3:1.
        border: contrast(p.border!, p.surface!),
        focus: contrast(p.accent!, p.surface!),
      };
      for (const token of ['text', 'muted', 'accent', 'danger', 'success'] as const) expect(ratios[token], token).toBeGreaterThanOrEqual(4.5);
      for (const token of ['border', 'focus'] as const) expect(ratios[token], token).toBeGreaterThanOrEqual(3);
    });
  }

  it('computes contrast as WCAG does', () => {
    expect(contrast('#000', '#fff')).toBe(21);
    expect(contrast('#777777', '#ffffff')).toBe(4.47);
  });
});

describe('mountInShadow', () => {
  afterEach(() => {
    document.body.replaceChildren();
  });
  const mount = (theme?: Parameters<typeof mountInShadow>[2]) => mountInShadow(document.body, h('p', null, 'hi'), theme);

  it('adopts one shared stylesheet and a theme sheet of its own: no <style>, no style attribute', () => {
    const a = mount({ accent: 'rgb(1, 2, 3)', radius: '2px', focus: '#000', colorScheme: 'dark' });
    const b = mount();
    const [rootA, rootB] = [a.host.shadowRoot!, b.host.shadowRoot!];
    expect(rootA.adoptedStyleSheets).toHaveLength(2);
    expect(rootA.adoptedStyleSheets[0]).toBe(rootB.adoptedStyleSheets[0]);
    const rules = (root: ShadowRoot) => [...root.adoptedStyleSheets[1]!.cssRules].map((r) => r.cssText).join('');
    expect(rules(rootA)).toMatch(/:host\s*>\s*div\s*\{\s*--alloy-accent:\s*rgb\(1, 2, 3\);\s*--alloy-radius:\s*2px;\s*--alloy-focus:\s*#000;?\s*\}/);
    expect(rules(rootB)).not.toContain('--alloy');
    for (const root of [rootA, rootB]) expect(root.querySelector('style, link, [style]')).toBeNull();
    expect(document.querySelector('[style]')).toBeNull();
    expect(rootA.querySelector('div')!.className).toBe('dark');
    expect(rootB.querySelector('div')!.className).toBe('light');
    expect(rootA.textContent).toBe('hi');
    a.unmount();
    b.unmount();
    expect(document.querySelector('alloy-embedded')).toBeNull();
  });

  it('refuses a theme value that could reach past its declaration, naming the token, before adding anything', () => {
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ accent: 'red;} *{display:none' }, 'accent'],
      [{ surface: '#fff}' }, 'surface'],
      [{ font: '</style><script>' }, 'font'],
      [{ text: 'red /*' }, 'text'],
      [{ border: '\\7d' }, 'border'],
      [{ radius: 8 }, 'radius'],
      [{ colorScheme: 'sepia' }, 'colorScheme'],
      [{ 'x}*{color:red': 'red' }, 'x}'],
    ];
    for (const [theme, token] of bad) {
      expect(() => mount(theme as never), token).toThrow(TypeError);
      expect(() => mount(theme as never)).toThrow(token);
    }
    expect(document.querySelector('alloy-embedded')).toBeNull();
    // What a theme is for still passes: functions, quotes, commas, spaces.
    mount({ accent: 'rgb(1 2 3 / 50%)', font: '"Inter", system-ui', spacing: 'calc(2px + 0.25rem)', colorScheme: 'auto', success: undefined });
  });

  it('links alloy.css beside the UI and sets the theme through CSSOM where constructable stylesheets are missing', () => {
    const descriptor = Object.getOwnPropertyDescriptor(ShadowRoot.prototype, 'adoptedStyleSheets')!;
    Object.defineProperty(ShadowRoot.prototype, 'adoptedStyleSheets', { configurable: true, get: () => undefined });
    // happy-dom loads no CSS file: say so with a load event rather than an error on its console.
    const settings = (window as unknown as { happyDOM: { settings: { handleDisabledFileLoadingAsSuccess: boolean } } }).happyDOM.settings;
    settings.handleDisabledFileLoadingAsSuccess = true;
    try {
      const { host, unmount } = mount({ accent: 'rgb(1, 2, 3)', colorScheme: 'auto' });
      const root = host.shadowRoot!;
      const link = root.querySelector('link')!;
      expect(link.rel).toBe('stylesheet');
      expect(link.href).toMatch(/\/alloy\.css$/);
      const container = root.querySelector('div')!;
      expect(container.className).toBe('auto');
      expect(container.style.getPropertyValue('--alloy-accent')).toBe('rgb(1, 2, 3)');
      expect(root.querySelector('style')).toBeNull();
      expect(root.textContent).toBe('hi');
      unmount();
    } finally {
      Object.defineProperty(ShadowRoot.prototype, 'adoptedStyleSheets', descriptor);
      settings.handleDisabledFileLoadingAsSuccess = false;
    }
  });
});
