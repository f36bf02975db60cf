import type { Locale } from './types';

const reload = 'Bitte laden Sie die Seite neu.';
const later = 'Bitte später erneut versuchen.';

/**
 * The words in alphabetical order (gzip then finds more repeats: install, installed, installing…),
 * then the error messages (`ErrorKey` in ../strings.ts).
 */
export default {
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
  requiredTarget: '{label} (Pflichtfeld)',
  retry: 'Erneut versuchen',
  save: 'Speichern',
  search: 'Integrationen durchsuchen',
  settingsTitle: 'Einstellungen',
  signingSecret: 'Signaturschlüssel: jetzt kopieren, er wird nur einmal angezeigt',
  uninstall: 'Deinstallieren',
  updateAvailable: 'Update verfügbar',
  upgrade: 'Aktualisieren',
  unauthorized: `Ihre Sitzung ist abgelaufen. ${reload}`,
  not_found: `Diese Daten sind veraltet. ${reload}`,
  /** For what the user cannot fix: the server's fault, or the widget's or the host page's bug. */
  server: `Ein Fehler ist aufgetreten. ${later}`,
  network: 'Keine Verbindung. Prüfen Sie Ihr Netzwerk.',
  forbidden: 'Sie haben keinen Zugriff darauf.',
  invalid_request: 'Bitte prüfen Sie Ihre Eingaben.',
  rate_limited: 'Zu viele Versuche. Bitte warten Sie kurz.',
  upstream_error: `Die App antwortet nicht. ${later}`,
  unavailable: `Der Dienst ist kurz nicht verfügbar. ${later}`,
  payload_too_large: 'Die Daten sind zu groß.',
  upgrade_blocked: 'Für dieses Update bitte neu installieren.',
  oauth: 'Die Anmeldung ist fehlgeschlagen. Bitte erneut versuchen.',
} satisfies Locale;
