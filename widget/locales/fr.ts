import type { Locale } from './types';

const reload = 'Rechargez la page.';
const later = 'Réessayez plus tard.';

/**
 * The words in alphabetical order (gzip then finds more repeats: install, installed, installing…),
 * then the error messages (`ErrorKey` in ../strings.ts).
 */
export default {
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
  requiredTarget: '{label} (obligatoire)',
  retry: 'Réessayer',
  save: 'Enregistrer',
  search: 'Rechercher des intégrations',
  settingsTitle: 'Paramètres',
  signingSecret: 'Secret de signature\u00a0: copiez-le maintenant, il ne sera plus affiché',
  uninstall: 'Désinstaller',
  updateAvailable: 'Mise à jour disponible',
  upgrade: 'Mettre à jour',
  unauthorized: `Votre session a expiré. ${reload}`,
  not_found: `Ces informations sont obsolètes. ${reload}`,
  /** For what the user cannot fix: the server's fault, or the widget's or the host page's bug. */
  server: `Une erreur est survenue. ${later}`,
  network: 'Pas de connexion. Vérifiez votre réseau.',
  forbidden: 'Vous n’avez pas accès à cet élément.',
  invalid_request: 'Vérifiez vos saisies.',
  rate_limited: 'Trop de tentatives. Patientez un instant.',
  upstream_error: `L’application ne répond pas. ${later}`,
  unavailable: `Service indisponible. ${later}`,
  payload_too_large: 'Les données sont trop volumineuses.',
  upgrade_blocked: 'Réinstallez pour appliquer cette mise à jour.',
  oauth: 'La connexion a échoué. Réessayez.',
} satisfies Locale;
