import { render, type VNode } from 'preact';
import { css } from './styles';

/**
 * The widget's look (docs/theming.md). Each token is also a CSS custom property the page can set,
 * `--alloy-<token>`; a token given here wins over the page's.
 * A value is any CSS value for its property; one holding `; { } < > \` or a comment is refused
 * with a `TypeError` naming the token.
 */
export interface Theme {
  /** The main buttons, the secondary buttons' text, the checkbox, and the focus ring unless `focus` is given. */
  accent?: string;
  /** The dialog's, the cards' and the fields' background, and the main buttons' text (on `accent`). */
  surface?: string;
  text?: string;
  /** Hints, the close button, the "Not installed" badge. */
  muted?: string;
  /** The fields' and the cards' border. */
  border?: string;
  /** Errors and alerts. */
  danger?: string;
  /** The "Installed" badge. */
  success?: string;
  /** The keyboard focus ring. */
  focus?: string;
  /** The dialog's and the cards' corner radius (the fields' and buttons' is 4px less). */
  radius?: string;
  font?: string;
  /** The spacing unit (default 4px): the dialog's and the cards' padding, the list's gap and the labels' margins are multiples of it. */
  spacing?: string;
  /** `light` (the default), `dark`, or `auto`: the page's `prefers-color-scheme`, followed as it changes. */
  colorScheme?: 'light' | 'dark' | 'auto';
}

/** The widget's stylesheet, made once and shared by every mount (a constructable sheet: no `<style>`, which a strict CSP refuses). */
let shared: CSSStyleSheet | undefined;
const sheet = (text: string) => {
  const s = new CSSStyleSheet();
  s.replaceSync(text);
  return s;
};
// A variable, not `new URL('alloy.css', import.meta.url)` itself, which the bundler would take for an asset to inline.
const here = import.meta.url;

/**
 * Renders into a shadow root on a host element (appended to `parent`), with our stylesheet and the
 * theme as a per-mount stylesheet (`--alloy-<token>` on our top element), adopted by the root.
 * Without constructable stylesheets (Safari before 16.4), a `<link>` to `alloy.css` beside the
 * UI bundle instead, and the theme set through CSSOM, which CSP allows. Throws a `TypeError` for
 * a bad theme before adding anything.
 */
export function mountInShadow(parent: Element, vnode: VNode<any>, theme: Theme = {}): { host: HTMLElement; unmount(): void } {
  const { colorScheme = 'light', ...tokens } = theme;
  if (!/^(light|dark|auto)$/.test(colorScheme)) throw new TypeError('Alloy theme: bad colorScheme');
  let vars = '';
  for (const [k, v] of Object.entries(tokens)) {
    if (!v) continue;
    if (typeof v != 'string' || /[;{}<>\\]|\/\*/.test(k + v)) throw new TypeError(`Alloy theme: bad ${k}`);
    vars += `--alloy-${k}:${v};`;
  }
  const host = document.createElement('alloy-embedded');
  const root = host.attachShadow({ mode: 'open' });
  const container = document.createElement('div');
  container.className = colorScheme;
  if (root.adoptedStyleSheets) {
    root.adoptedStyleSheets = [(shared ??= sheet(css)), sheet(`:host>div{${vars}}`)];
  } else {
    root.append(Object.assign(document.createElement('link'), { rel: 'stylesheet', href: String(new URL('alloy.css', here)) }));
    container.style.cssText = vars;
  }
  root.append(container);
  parent.append(host);
  render(vnode, container);
  return {
    host,
    unmount() {
      render(null, container);
      host.remove();
    },
  };
}
