import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { definitionsWith, vaultIntegration } from '../helpers/definitions';
import { servedInBrowser } from '../helpers/browser';
import { createUser, userToken } from '../helpers/server';

/** The policy an ISV's page sends: nothing inline, the widget's server (`widget`) listed where it must be. */
const strictCsp = (widget: string) =>
  [
    "default-src 'self'",
    `script-src 'self' ${widget}`,
    `style-src 'self' ${widget}`,
    `connect-src 'self' ${widget}`,
    // The integrations' icons.
    `img-src 'self' ${widget}`,
    "object-src 'none'",
    "base-uri 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
    'report-uri /csp-report',
  ].join('; ');

interface Violation {
  directive: string;
  blocked: string;
  sample?: string;
}

/**
 * The ISV's page, on an origin of its own (`localhost`; the widget's server is `127.0.0.1`), sent
 * with a strict CSP. Its only script, `/app.js` ('self'), collects `securitypolicyviolation`
 * events; the browser's `report-uri` reports land in `reports`.
 */
async function startHostPage(widget: string) {
  const reports: Violation[] = [];
  const server = http.createServer((req, res) => {
    if (req.url === '/csp-report' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk));
      req.on('end', () => {
        const r = (JSON.parse(body) as { 'csp-report': Record<string, string> })['csp-report'];
        reports.push({ directive: r['effective-directive'] ?? r['violated-directive']!, blocked: r['blocked-uri']! });
        res.writeHead(204).end();
      });
      return;
    }
    if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(`window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample }));`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': strictCsp(widget) });
    res.end(`<!doctype html><html lang="en"><title>Acme settings</title>
<script src="/app.js"></script><script src="${widget}/widget/alloy.js"></script>
<main><h1>Integrations</h1><section id="integrations"></section></main>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/`,
    reports,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** Every element with a `style` attribute and every `<style>`, in the page and in every shadow root. */
function inlineStyles(page: Page) {
  return page.evaluate(() => {
    const found: string[] = [];
    const walk = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.hasAttribute('style') || el.localName === 'style') found.push(el.localName);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return found;
  });
}

/** Computed styles of the widget's elements (the first match in any `<alloy-embedded>` root). */
function widgetStyles(page: Page) {
  return page.evaluate(() => {
    const hosts = [...document.querySelectorAll('alloy-embedded')];
    const css = (selector: string, ...props: string[]) => {
      const el = hosts.map((h) => h.shadowRoot!.querySelector(selector)).find(Boolean);
      if (!el) return null;
      const s = getComputedStyle(el);
      return Object.fromEntries(props.map((p) => [p, s.getPropertyValue(p)]));
    };
    return {
      backdrop: css('.bd', 'position', 'display'),
      dialog: css('.dlg', 'background-color', 'border-radius', 'padding-top', 'max-width'),
      button: css('.dlg .btn', 'background-color', 'color'),
      card: css('.card', 'background-color', 'border-top-color', 'border-radius', 'display'),
      sheets: hosts.map((h) => h.shadowRoot!.adoptedStyleSheets?.length ?? 0),
      links: hosts.flatMap((h) => [...h.shadowRoot!.querySelectorAll('link')].map((l) => `${l.rel} ${l.href}`)),
    };
  });
}

const violations = (page: Page) => page.evaluate(() => (window as unknown as { violations: Violation[] }).violations);

// The widget on a page whose Content-Security-Policy allows no inline style or script at all.
describe('the widget under a strict Content-Security-Policy', () => {
  const served = servedInBrowser(() => ({ definitions: () => definitionsWith([vaultIntegration]) }));

  async function openPage(name: string, init?: () => void) {
    const { server, http: widget, browser } = served;
    const host = await startHostPage(widget.url);
    const token = await userToken(server, await createUser(server, name));
    const page = await browser.newPage();
    if (init) await page.addInitScript(init);
    await page.goto(host.url);
    await page.waitForFunction(() => 'Alloy' in window);
    return { page, host, token, widget: widget.url };
  }

  it('renders the integrations page and the modal, installs, with no violation, styled by its own sheets', async () => {
    const { page, host, token, widget } = await openPage('csp');
    try {
      await page.evaluate((t) => {
        const Alloy = (window as any).Alloy;
        Alloy.setToken(t);
        Alloy.renderIntegrations(document.getElementById('integrations'));
      }, token);
      const vault = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Vault' }) });
      await vault.getByRole('button', { name: 'Install' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Endpoint URL').fill('https://vault.example.com/in');
      await dialog.getByLabel('API token').fill('vault-secret-1');

      // Styled: the shared sheet and each mount's theme sheet, adopted; nothing inline anywhere.
      expect(await widgetStyles(page)).toEqual({
        backdrop: { position: 'fixed', display: 'flex' },
        dialog: { 'background-color': 'rgb(255, 255, 255)', 'border-radius': '10px', 'padding-top': '20px', 'max-width': '440px' },
        button: { 'background-color': 'rgb(79, 70, 229)', color: 'rgb(255, 255, 255)' },
        card: { 'background-color': 'rgb(255, 255, 255)', 'border-top-color': 'rgb(135, 141, 152)', 'border-radius': '10px', display: 'flex' },
        sheets: [2, 2],
        links: [],
      });
      expect(await inlineStyles(page)).toEqual([]);

      await dialog.getByRole('button', { name: 'Install' }).click();
      await dialog.getByRole('button', { name: 'Close' }).nth(1).click();
      await vault.getByText('Installed', { exact: true }).waitFor();
      // The icons came from the widget's server (img-src), and rendered.
      expect(await page.evaluate(() => [...document.querySelector('alloy-embedded')!.shadowRoot!.querySelectorAll('img')].every((i) => i.complete && i.naturalWidth > 0))).toBe(
        true,
      );
      expect(await violations(page)).toEqual([]);

      // The page does see violations, in a shadow root too, and reports them: what the widget did
      // before (a <style> in its shadow root, a style attribute) shows up here and at report-uri.
      await page.evaluate(() => {
        const el = document.body.appendChild(document.createElement('div'));
        const style = document.createElement('style');
        style.textContent = 'p{color:red}';
        el.attachShadow({ mode: 'open' }).append(style);
        el.setAttribute('style', 'color: red');
      });
      await expect.poll(() => violations(page)).toEqual([expect.objectContaining({ directive: 'style-src-elem' }), expect.objectContaining({ directive: 'style-src-attr' })]);
      await expect.poll(() => host.reports.map((r) => r.directive).sort()).toEqual(['style-src-attr', 'style-src-elem']);
      expect(widget).toMatch(/^http:\/\/127\.0\.0\.1:/);
      expect(page.url()).toMatch(/^http:\/\/localhost:/);
    } finally {
      await page.close();
      await host.close();
    }
  });

  it('falls back to <link rel="stylesheet" href=".../alloy.css"> where constructable stylesheets are missing, still with no violation', async () => {
    // A browser before constructable stylesheets (Safari 16.3): no adoptedStyleSheets.
    const { page, host, token, widget } = await openPage('csp-link', () => {
      delete (ShadowRoot.prototype as Partial<ShadowRoot>).adoptedStyleSheets;
      delete (Document.prototype as Partial<Document>).adoptedStyleSheets;
    });
    try {
      await page.evaluate((t) => {
        const Alloy = (window as any).Alloy;
        Alloy.setToken(t);
        Alloy.renderIntegrations(document.getElementById('integrations'), { theme: { accent: '#0f766e' } });
        return Alloy.install({ integrationId: 'vault', theme: { accent: '#0f766e', radius: '4px' } });
      }, token);
      await page.getByRole('dialog').getByLabel('Endpoint URL').waitFor();
      await page.getByRole('listitem').first().waitFor();
      await expect
        .poll(() => widgetStyles(page))
        .toMatchObject({
          backdrop: { position: 'fixed', display: 'flex' },
          dialog: { 'background-color': 'rgb(255, 255, 255)', 'border-radius': '4px' },
          button: { 'background-color': 'rgb(15, 118, 110)' },
          card: { 'border-radius': '10px' },
        });
      const look = await widgetStyles(page);
      expect(look.links).toEqual([`stylesheet ${widget}/widget/alloy.css`, `stylesheet ${widget}/widget/alloy.css`]);
      expect(look.sheets).toEqual([0, 0]);
      expect(await violations(page)).toEqual([]);
      expect(host.reports).toEqual([]);
    } finally {
      await page.close();
      await host.close();
    }
  });
});
