// @vitest-environment happy-dom
import './setup';
import { fireEvent, waitFor } from '@testing-library/preact';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeBigCommerceCatalog, type FakeBigCommerceCatalog } from '../fakes/bigcommerce-catalog';
import { addCredential } from '../helpers/flows';
import type { TestServer } from '../helpers/server';
import { catalog, schedule } from './definitions';
import { definitionsWith, installationsOf, modal, resetWidget, serve, signIn, type Http } from './helpers';
import { install } from '../../widget/index';

const optionTexts = (select: HTMLElement) => [...(select as HTMLSelectElement).options].map((o) => o.textContent);
const choose = (select: HTMLElement, value: string) => fireEvent.change(select, { target: { value } });

describe('the field types of the modal', () => {
  let bigcommerce: FakeBigCommerceCatalog;
  let server: TestServer;
  let http: Http;
  let userId: string;

  beforeAll(async () => {
    bigcommerce = await startFakeBigCommerceCatalog();
    ({ server, http } = await serve({ env: { BIGCOMMERCE_API_URL: bigcommerce.url }, definitions: () => definitionsWith([catalog, schedule]) }));
  });
  beforeEach(async () => {
    userId = await signIn(server, http);
    bigcommerce.requests.length = 0;
  });
  afterEach(resetWidget);
  afterAll(async () => {
    await http?.close();
    await server?.close();
    await bigcommerce?.close();
  });

  it("loads a dependent select with its parent's value, reloads it when the parent changes, and clears a choice that no longer applies", async () => {
    await addCredential(server, userId, 'bigcommerce', { storeHash: 'abc123', accessToken: 'bc-token' });
    await install({ integrationId: 'catalog' });
    const ui = modal();

    const tree = await ui.findByLabelText('Category tree');
    await waitFor(() => expect(optionTexts(tree)).toEqual(['Choose…', 'Main storefront', 'Wholesale']));
    // Nothing to list before a tree is chosen: the category waits, and the app was not asked.
    const category = ui.getByLabelText('Category') as HTMLSelectElement;
    expect(category.disabled).toBe(true);
    expect(bigcommerce.requests.some((r) => r.path.endsWith('/trees/categories'))).toBe(false);

    choose(tree, '1');
    await waitFor(() => expect(optionTexts(ui.getByLabelText('Category'))).toEqual(['Choose…', 'Shop All', 'Shop All › Kitchen', 'Shop All › Garden']));
    choose(ui.getByLabelText('Category'), '11');
    expect((ui.getByLabelText('Category') as HTMLSelectElement).value).toBe('11');

    // Another tree: its own categories, and Kitchen (not one of them) is no longer chosen.
    choose(ui.getByLabelText('Category tree'), '2');
    await waitFor(() => expect(optionTexts(ui.getByLabelText('Category'))).toEqual(['Choose…', 'Bulk']));
    expect((ui.getByLabelText('Category') as HTMLSelectElement).value).toBe('');
    expect(bigcommerce.requests.filter((r) => r.path.endsWith('/trees/categories')).map((r) => r.query['tree_id:in'])).toEqual(['1', '2']);
    choose(ui.getByLabelText('Category'), '20');

    // The mapping: map every required account field, and the tier to the store's custom attribute.
    const mapping = ui.getByRole('group', { name: 'Customer fields' });
    const row = (label: string) => mapping.querySelector<HTMLSelectElement>(`select[id$="-${label}"]`)!;
    await waitFor(() => expect(optionTexts(row('tier'))).toContain('Loyalty tier'));
    expect(optionTexts(row('tier'))).toEqual(expect.arrayContaining(['Email (required)', 'First name (required)', 'Last name (required)', 'Company']));
    choose(row('contactEmail'), 'email');
    choose(row('firstName'), 'first_name');
    choose(row('lastName'), 'last_name');
    choose(row('tier'), 'attribute:7');
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));

    await ui.findByRole('heading', { name: 'Catalog is ready' });
    const [installation] = await installationsOf(server, userId);
    expect(installation.config).toEqual({ treeId: '2', category: '20', customer: { contactEmail: 'email', firstName: 'first_name', lastName: 'last_name', tier: 'attribute:7' } });
  });

  it("shows the server's refusal of a mapping next to the field: a required account field left unmapped", async () => {
    await addCredential(server, userId, 'bigcommerce', { storeHash: 'abc123', accessToken: 'bc-token' });
    await install({ integrationId: 'catalog', preFilledValues: { treeId: '1', category: '10' } });
    const ui = modal();
    const mapping = await ui.findByRole('group', { name: 'Customer fields' });
    const row = (label: string) => mapping.querySelector<HTMLSelectElement>(`select[id$="-${label}"]`)!;
    await waitFor(() => expect(optionTexts(row('contactEmail'))).toContain('Email (required)'));
    choose(row('contactEmail'), 'email');
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));

    await ui.findByRole('alert');
    expect(mapping.querySelector('.err')?.textContent).toBe(
      '"first_name" (First name) is required by the account: map a field to it; "last_name" (Last name) is required by the account: map a field to it',
    );
    expect(await installationsOf(server, userId)).toEqual([]);
  });

  it('takes a long text, a date and a date-time from the browser’s own controls, the date-time as a UTC instant', async () => {
    await install({ integrationId: 'schedule' });
    const ui = modal();
    const notes = await ui.findByLabelText('Notes');
    expect(notes.localName).toBe('textarea');
    expect(ui.getByLabelText('Since').getAttribute('type')).toBe('date');
    expect(ui.getByLabelText('Start at').getAttribute('type')).toBe('datetime-local');

    fireEvent.input(notes, { target: { value: 'Line one\nLine two' } });
    fireEvent.input(ui.getByLabelText('Since'), { target: { value: '2026-12-01' } });
    fireEvent.input(ui.getByLabelText('Start at'), { target: { value: '2026-12-06T09:30' } });
    fireEvent.click(ui.getByRole('button', { name: 'Install' }));

    await ui.findByRole('heading', { name: 'Schedule is ready' });
    const [installation] = await installationsOf(server, userId);
    expect(installation.config).toEqual({ notes: 'Line one\nLine two', since: '2026-12-01', startAt: new Date('2026-12-06T09:30').toISOString() });
  });
});
