import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { definitionsWith, vaultIntegration } from '../helpers/definitions';
import { screenshotDir, servedInBrowser } from '../helpers/browser';
import { createUser, userToken } from '../helpers/server';
import { forms } from '../widget/definitions';

const AXE = path.resolve(import.meta.dirname, '../../node_modules/axe-core/axe.min.js');
/** docs/screenshots/ (docs/theming.md shows it) with UPDATE_SCREENSHOTS=1, else the run's temporary folder. */
const darkScreenshot = process.env.UPDATE_SCREENSHOTS ? path.resolve(import.meta.dirname, '../../docs/screenshots/widget-dark.png') : path.join(screenshotDir, 'widget-dark.png');

/**
 * axe-core on the widget (every `<alloy-embedded>`, its shadow root included) with every rule axe
 * has, experimental and best-practice ones included, but `skip`: the violations as `rule (impact):
 * nodes`, and how many elements the colour-contrast rule checked and could not decide.
 */
async function axeAudit(page: Page, skip: string[] = []) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async (skip) => {
    type Node = { target: string[]; html: string; failureSummary?: string; any: Array<{ message: string }> };
    type Result = { id: string; impact?: string; nodes: Node[] };
    const axe = (
      window as unknown as {
        axe: { getRules(): Array<{ ruleId: string }>; run(context: object, options: object): Promise<Record<'violations' | 'passes' | 'incomplete', Result[]>> };
      }
    ).axe;
    const rules = axe
      .getRules()
      .map((r) => r.ruleId)
      .filter((id) => !skip.includes(id));
    const result = await axe.run({ include: [...document.querySelectorAll('alloy-embedded')] }, { runOnly: { type: 'rule', values: rules } });
    const contrast = (list: Result[]) => list.find((r) => r.id === 'color-contrast')?.nodes ?? [];
    return {
      violations: result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => `${n.target.join(' > ')} ${n.failureSummary}`).join(' | ')}`),
      contrastChecked: contrast(result.passes).length,
      contrastUndecided: contrast(result.incomplete).map((n) => `${n.html.slice(0, n.html.indexOf('>') + 1)} ${n.any.map((a) => a.message).join(' ')}`),
    };
  }, skip);
}

/** No violation of any rule (but AAA's 7:1 contrast: the palettes are AA), and contrast decided for every text. */
async function expectAccessible(page: Page) {
  const audit = await axeAudit(page, ['color-contrast-enhanced']);
  expect(audit.violations).toEqual([]);
  // axe cannot see behind a list box's options (it says they overlap it): its text is the fields' colour on the surface.
  expect(audit.contrastUndecided.filter((n) => !n.startsWith('<select id="f-tags" name="tags" multiple=""'))).toEqual([]);
  expect(audit.contrastChecked).toBeGreaterThan(20);
}

/** How the widget looks: computed colours of its parts (the first match in any `<alloy-embedded>` root). */
function colours(page: Page) {
  return page.evaluate(() => {
    const hosts = [...document.querySelectorAll('alloy-embedded')];
    const css = (selector: string, ...props: string[]) => {
      const el = hosts.map((h) => h.shadowRoot!.querySelector(selector)).find(Boolean);
      if (!el) return null;
      const s = getComputedStyle(el);
      return props.map((p) => s.getPropertyValue(p)).join(' / ');
    };
    return {
      scheme: css('div', 'color-scheme'),
      dialog: css('.dlg', 'background-color', 'color'),
      button: css('.dlg .btn', 'background-color', 'color'),
      input: css('.dlg input', 'background-color', 'border-top-color'),
      close: css('.x', 'color'),
      card: css('.card', 'background-color', 'border-top-color'),
      badge: css('.badge', 'color'),
    };
  });
}

const LIGHT = {
  scheme: 'normal',
  dialog: 'rgb(255, 255, 255) / rgb(31, 41, 55)',
  button: 'rgb(79, 70, 229) / rgb(255, 255, 255)',
  input: 'rgb(255, 255, 255) / rgb(135, 141, 152)',
  close: 'rgb(107, 114, 128)',
  card: 'rgb(255, 255, 255) / rgb(135, 141, 152)',
  badge: 'rgb(107, 114, 128)',
};
const DARK = {
  scheme: 'dark',
  dialog: 'rgb(17, 24, 39) / rgb(243, 244, 246)',
  button: 'rgb(165, 180, 252) / rgb(17, 24, 39)',
  input: 'rgb(17, 24, 39) / rgb(107, 114, 128)',
  close: 'rgb(156, 163, 175)',
  card: 'rgb(17, 24, 39) / rgb(107, 114, 128)',
  badge: 'rgb(156, 163, 175)',
};

// The colour schemes and the theme tokens in Chromium: computed colours, a screenshot, and axe.
describe('the widget’s themes in a real browser', () => {
  const served = servedInBrowser(() => ({ definitions: () => definitionsWith([vaultIntegration, forms]) }));

  /** A host page (its own background follows the scheme) with the integrations page, and the Forms modal (every field type) open. */
  async function open(name: string, theme: object, pageCss = '') {
    const { server, http, browser } = served;
    const token = await userToken(server, await createUser(server, name));
    const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
    await page.route('**/host-page', (route) =>
      route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html><html lang="en"><title>Acme settings</title>
<style>:root{color-scheme:light dark;font:16px system-ui}body{margin:0;padding:24px;background:Canvas;color:CanvasText}${pageCss}</style>
<script src="/widget/alloy.js"></script><main><h1>Settings</h1><h2>Integrations</h2><section id="integrations"></section></main>`,
      }),
    );
    await page.goto(`${http.url}/host-page`);
    await page.evaluate(
      ([t, theme]) => {
        const Alloy = (window as any).Alloy;
        Alloy.setToken(t);
        Alloy.renderIntegrations(document.getElementById('integrations'), { theme });
        return Alloy.install({ integrationId: 'forms', theme });
      },
      [token, theme] as const,
    );
    await page.getByRole('dialog').getByLabel('Notify the team').waitFor();
    await page.getByRole('listitem').first().waitFor();
    // The icons have loaded (a screenshot without them would be a half-drawn page).
    await page.waitForFunction(() => [...document.querySelectorAll('alloy-embedded')].every((h) => [...h.shadowRoot!.querySelectorAll('img')].every((i) => i.complete)));
    return page;
  }

  it('is light, AA throughout, by default', async () => {
    const page = await open('light', {});
    expect(await colours(page)).toEqual(LIGHT);
    await expectAccessible(page);
    await page.close();
  });

  it("is dark with colorScheme: 'dark', AA throughout, on a light page too", async () => {
    const page = await open('dark', { colorScheme: 'dark' });
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await colours(page)).toEqual(DARK);
    fs.mkdirSync(path.dirname(darkScreenshot), { recursive: true });
    await page.screenshot({ path: darkScreenshot });
    await expectAccessible(page);
    // The scheme is the widget's, not the page's: on a light page it stays dark.
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await colours(page)).toEqual(DARK);
    await expectAccessible(page);
    await page.close();
  });

  it("follows prefers-color-scheme with colorScheme: 'auto', as it changes", async () => {
    const page = await open('auto', { colorScheme: 'auto' });
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(() => colours(page)).toEqual(DARK);
    await expectAccessible(page);
    await page.emulateMedia({ colorScheme: 'light' });
    await expect.poll(() => colours(page)).toEqual(LIGHT);
    await expectAccessible(page);
    await page.close();
  });

  it('is audited for real: a theme with too faint a muted colour fails axe’s contrast rule', async () => {
    const page = await open('faint', { muted: '#b0b0b0' });
    const audit = await axeAudit(page, ['color-contrast-enhanced']);
    // The "Not installed" badges.
    expect(audit.violations).toEqual([expect.stringMatching(/^color-contrast \(serious\): .*span .*contrast of 2\.16 \(foreground color: #b0b0b0, background color: #ffffff/s)]);
    await page.close();
  });

  it('takes tokens from the page’s --alloy-* custom properties, and from theme over them', async () => {
    const page = await open('tokens', { accent: '#0f766e', radius: '4px' }, ':root{--alloy-accent:#b91c1c;--alloy-surface:#fefce8;--alloy-spacing:6px;--alloy-border:#57534e}');
    const look = await page.evaluate(() => {
      const root = document.querySelector('body > alloy-embedded')!.shadowRoot!;
      const s = (selector: string) => getComputedStyle(root.querySelector(selector)!);
      return {
        button: s('.btn').backgroundColor,
        text: s('.btn').color,
        dialog: s('.dlg').backgroundColor,
        radius: s('.dlg').borderRadius,
        padding: s('.dlg').paddingTop,
        border: s('input').borderTopColor,
      };
    });
    expect(look).toEqual({ button: 'rgb(15, 118, 110)', text: 'rgb(254, 252, 232)', dialog: 'rgb(254, 252, 232)', radius: '4px', padding: '30px', border: 'rgb(87, 83, 78)' });
    await page.close();
  });
});
