import { render, type VNode } from 'preact';
import { css } from './styles';

export interface Theme {
  accent?: string;
  font?: string;
  radius?: string;
}

/**
 * Renders into a shadow root on a host element (appended to `parent`), with our styles inside
 * and the theme as CSS custom properties on the host.
 */
export function mountInShadow(parent: Element, vnode: VNode<any>, theme: Theme = {}): { host: HTMLElement; unmount(): void } {
  const host = document.createElement('alloy-embedded');
  const vars = { '--alloy-accent': theme.accent, '--alloy-font': theme.font, '--alloy-radius': theme.radius };
  for (const [k, v] of Object.entries(vars)) if (v) host.style.setProperty(k, v);
  const root = host.attachShadow({ mode: 'open' });
  const style = document.createElement('style');
  style.textContent = css;
  root.append(style);
  const container = document.createElement('div');
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
