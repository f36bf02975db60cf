import type { Locale } from './types';

/** Keys in alphabetical order: gzip then finds more repeats (install, installed, installing…), some 15 bytes of the 1 KB budget. */
const strings = {
  active: 'Aktiv',
  choose: 'Auswählen…',
  close: 'Schließen',
  configure: 'Konfigurieren',
  connect: 'Verbinden',
  connectTitle: 'Ihr {app}-Konto verbinden',
  connectWith: 'Mit {app} verbinden',
  doneBody: 'Fertig. Sie können das Fenster schließen.',
  doneTitle: '{app} ist bereit',
  install: 'Installieren',
  installed: 'Installiert',
  installing: 'Wird gespeichert…',
  integrationsEmpty: 'Noch keine Integrationen verfügbar.',
  integrationsFailed: 'Die Integrationen konnten nicht geladen werden.',
  loading: 'Wird geladen…',
  notInstalled: 'Nicht installiert',
  optionsFailed: 'Die Optionen konnten nicht geladen werden.',
  orUseKey: 'Oder Zugangsdaten eingeben',
  popupBlocked: 'Das Anmeldefenster wurde blockiert. Bitte erlauben Sie Pop-ups.',
  popupClosed: 'Das Anmeldefenster wurde vor dem Verbinden geschlossen.',
  reconnect: 'Erneute Verbindung nötig',
  remove: 'Entfernen',
  required: '{label} ist erforderlich',
  retry: 'Erneut versuchen',
  save: 'Speichern',
  search: 'Integrationen durchsuchen',
  settingsTitle: 'Einstellungen',
  signingSecret: 'Signaturschlüssel: jetzt kopieren, er wird nur einmal angezeigt',
  uninstall: 'Deinstallieren',
  updateAvailable: 'Update verfügbar',
  upgrade: 'Aktualisieren',
};

const reload = 'Bitte laden Sie die Seite neu.';
const later = 'Bitte später erneut versuchen.';
/** For what the user cannot fix: the server's fault, or the widget's or the host page's bug. */
const failed = `Ein Fehler ist aufgetreten. ${later}`;
const session = `Ihre Sitzung ist abgelaufen. ${reload}`;
const stale = `Diese Daten sind veraltet. ${reload}`;

export default {
  strings,
  errors: {
    no_token: session,
    token_expired: session,
    unauthorized: session,
    not_found: stale,
    conflict: stale,
    server: failed,
    internal: failed,
    invalid_json: failed,
    unsupported_media_type: failed,
    method_not_allowed: failed,
    unknown_event: failed,
    network: 'Keine Verbindung. Prüfen Sie Ihr Netzwerk.',
    forbidden: 'Sie haben keinen Zugriff darauf.',
    invalid_request: 'Bitte prüfen Sie Ihre Eingaben.',
    rate_limited: 'Zu viele Versuche. Bitte warten Sie kurz.',
    upstream_error: `Die App antwortet nicht. ${later}`,
    unavailable: `Der Dienst ist kurz nicht verfügbar. ${later}`,
    payload_too_large: 'Die Daten sind zu groß.',
    upgrade_blocked: 'Für dieses Update bitte neu installieren.',
    popup_blocked: strings.popupBlocked,
    popup_closed: strings.popupClosed,
  },
} satisfies Locale;
