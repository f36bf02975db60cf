import { Component } from 'preact';
import type { Integration, Installation } from '../schema';
import { say, type Strings } from '../strings';
import { core } from '../ui-core';
import { usable } from '../state/install';
import { Account } from './Account';

interface Props {
  strings: Strings;
  /**
   * Opens the install (or edit) modal, or with `reconnect` the account step for that account;
   * resolves once it has installed (saved, reconnected), or when it closes; rejects when it cannot open.
   */
  onInstall(integrationId: string, reconnect?: string): Promise<unknown>;
}

type Load = { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; integrations: Integration[]; installations: Installation[] };

interface State {
  load: Load;
  query: string;
  /** The integration an action is under way for. */
  busy: string;
  /** Why the last action failed, shown above the list (which stays). */
  failed: string;
}

/**
 * The integrations page: a card per integration with its state and what the user can do. A class
 * component: the UI bundle carries no hooks library.
 */
export class IntegrationsPage extends Component<Props, State> {
  override state: State = { load: { status: 'loading' }, query: '', busy: '', failed: '' };

  /** Stops listening for changes. */
  stop = () => {};

  // Loaded now, and again after each change made through the widget, here or elsewhere on the page
  // (the modal, an install button, `Alloy.uninstall`).
  override componentDidMount() {
    void this.reload();
    this.stop = core.subscribe('*', () => void this.reload());
  }

  override componentWillUnmount() {
    this.stop();
  }

  reload = async () => {
    try {
      const [list, installs] = await Promise.all([
        core.request<{ data: Integration[] }>('GET', '/me/integrations'),
        core.request<{ data: Installation[] }>('GET', '/me/installations'),
      ]);
      this.setState({ load: { status: 'ready', integrations: list.data, installations: installs.data } });
    } catch (err) {
      this.setState({ load: { status: 'error', message: say(err as Error, this.props.strings) } });
    }
  };

  override render({ strings, onInstall }: Props, { load: state, query, busy, failed }: State) {
    const { reload } = this;
    const setFailed = (failed: string) => this.setState({ failed });
    const setBusy = (busy: string) => this.setState({ busy });
    const setQuery = (query: string) => this.setState({ query });
    const open = (integrationId: string, reconnect?: string) => void onInstall(integrationId, reconnect).catch((err: Error) => setFailed(say(err, strings)));
    if (state.status === 'loading') return <p aria-busy="true">{strings.loading}</p>;
    if (state.status === 'error')
      return (
        <div role="alert" class="alert">
          {strings.integrationsFailed} {state.message}{' '}
          <button type="button" class="btn sec" onClick={() => void reload()}>
            {strings.retry}
          </button>
        </div>
      );
    if (state.integrations.length === 0) return <p>{strings.integrationsEmpty}</p>;

    /** Sends `method` to the installations, then tells `Alloy.subscribe` listeners (this page among them: it reloads). */
    const act = async (key: string, list: Installation[], method: string, suffix?: string) => {
      setBusy(key);
      setFailed('');
      try {
        await core.each(list, method, suffix);
        core.emit({
          type: method === 'DELETE' ? 'uninstalled' : 'updated',
          integrationId: key,
          installationIds: list.map((x) => x.installationId),
          workflowIds: list.map((x) => x.workflowId),
        });
      } catch (err) {
        setFailed(say(err as Error, strings));
        await reload();
      }
      setBusy('');
    };
    const q = query.trim().toLowerCase();
    const shown = state.integrations.filter((i) => !q || `${i.app} ${i.description ?? ''}`.toLowerCase().includes(q));
    return (
      <div>
        {failed && (
          <p role="alert" class="alert">
            {failed}
          </p>
        )}
        {state.integrations.length > 6 && (
          <input
            class="search"
            type="search"
            aria-label={strings.search}
            placeholder={strings.search}
            value={query}
            onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)}
          />
        )}
        <ul class="grid" role="list">
          {shown.map((i) => {
            const mine = state.installations.filter((x) => x.integrationId === i.integrationId);
            const outdated = i.workflows.filter((w) => w.installed && w.installedVersion !== null && w.version > w.installedVersion);
            const active = mine.length > 0 && mine.every((x) => x.active);
            return (
              <li class="card" aria-labelledby={`i-${i.integrationId}`}>
                <div class="hd">
                  <img src={i.icon} alt="" />
                  {/* The status under the name, so every card has the same layout whatever the name's length. */}
                  <div>
                    <h3 id={`i-${i.integrationId}`}>{i.app}</h3>
                    <span class={`badge${i.installed ? ' on' : ''}`}>{i.installed ? strings.installed : strings.notInstalled}</span>
                  </div>
                </div>
                {i.description && <p>{i.description}</p>}
                {/* An account an installation uses that the app refused (Reconnect: in place, the installations kept), or that was deleted (another one, then save the installation with it). */}
                {i.connections.map(
                  (c) =>
                    !usable(c) && (
                      <Account account={c} app={i.app} strings={strings}>
                        <button type="button" class="btn" onClick={() => open(i.integrationId, c.status === 'deleted' ? undefined : c.credentialId)}>
                          {c.status === 'deleted' ? strings.connectAnother : strings.reconnectAccount}
                        </button>
                      </Account>
                    ),
                )}
                {outdated.length > 0 && <span class="badge up">{strings.updateAvailable}</span>}
                <div class="row">
                  {/* One button, Install then Configure: the modal gives focus back to it after an install. */}
                  <button type="button" class={i.installed ? 'btn sec' : 'btn'} onClick={() => open(i.integrationId)}>
                    {i.installed ? strings.configure : strings.install}
                  </button>
                  {i.installed && (
                    <>
                      <label class="chk">
                        <input
                          type="checkbox"
                          role="switch"
                          checked={active}
                          disabled={busy === i.integrationId}
                          onChange={() => void act(i.integrationId, mine, 'PUT', active ? '/deactivate' : '/activate')}
                        />
                        {strings.active}
                      </label>
                      {outdated.length > 0 && (
                        <button
                          type="button"
                          class="btn"
                          onClick={() =>
                            void act(
                              i.integrationId,
                              mine.filter((x) => outdated.some((w) => w.workflowId === x.workflowId)),
                              'PUT',
                              '/upgrade',
                            )
                          }
                        >
                          {strings.upgrade}
                        </button>
                      )}
                      <button type="button" class="btn sec" onClick={() => void act(i.integrationId, mine, 'DELETE')}>
                        {strings.uninstall}
                      </button>
                    </>
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      </div>
    );
  }
}
