import type { Locale } from './types';

/** Keys in alphabetical order: gzip then finds more repeats (install, installed, installing…), some 15 bytes of the 1 KB budget. */
const strings = {
  active: 'Activée',
  choose: 'Choisir…',
  close: 'Fermer',
  configure: 'Configurer',
  connect: 'Connecter',
  connectTitle: 'Connectez votre compte {app}',
  connectWith: 'Se connecter avec {app}',
  doneBody: 'Terminé. Vous pouvez fermer cette fenêtre.',
  doneTitle: '{app} est prêt',
  install: 'Installer',
  installed: 'Installée',
  installing: 'Enregistrement…',
  integrationsEmpty: 'Aucune intégration disponible.',
  integrationsFailed: 'Impossible de charger les intégrations.',
  loading: 'Chargement…',
  notInstalled: 'Non installée',
  optionsFailed: 'Impossible de charger les choix.',
  orUseKey: 'Ou saisissez les informations',
  popupBlocked: 'La fenêtre de connexion a été bloquée. Autorisez les pop-ups.',
  popupClosed: 'La fenêtre de connexion a été fermée trop tôt.',
  reconnect: 'Reconnexion requise',
  remove: 'Supprimer',
  required: '{label} est obligatoire',
  retry: 'Réessayer',
  save: 'Enregistrer',
  search: 'Rechercher des intégrations',
  settingsTitle: 'Paramètres',
  signingSecret: 'Secret de signature\u00a0: copiez-le maintenant, il ne sera plus affiché',
  uninstall: 'Désinstaller',
  updateAvailable: 'Mise à jour disponible',
  upgrade: 'Mettre à jour',
};

const reload = 'Rechargez la page.';
const later = 'Réessayez plus tard.';
/** For what the user cannot fix: the server's fault, or the widget's or the host page's bug. */
const failed = `Une erreur est survenue. ${later}`;
const session = `Votre session a expiré. ${reload}`;
const stale = `Ces informations sont obsolètes. ${reload}`;

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
    network: 'Pas de connexion. Vérifiez votre réseau.',
    forbidden: 'Vous n’avez pas accès à cet élément.',
    invalid_request: 'Vérifiez vos saisies.',
    rate_limited: 'Trop de tentatives. Patientez un instant.',
    upstream_error: `L’application ne répond pas. ${later}`,
    unavailable: `Service indisponible. ${later}`,
    payload_too_large: 'Les données sont trop volumineuses.',
    upgrade_blocked: 'Réinstallez pour appliquer cette mise à jour.',
    popup_blocked: strings.popupBlocked,
    popup_closed: strings.popupClosed,
  },
} satisfies Locale;
