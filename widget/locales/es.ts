import type { Locale } from './types';

/** Keys in alphabetical order: gzip then finds more repeats (install, installed, installing…), some 15 bytes of the 1 KB budget. */
const strings = {
  active: 'Activa',
  choose: 'Seleccionar…',
  close: 'Cerrar',
  configure: 'Configurar',
  connect: 'Conectar',
  connectTitle: 'Conecte su cuenta de {app}',
  connectWith: 'Conectar con {app}',
  doneBody: 'Todo listo. Puede cerrar esta ventana.',
  doneTitle: '{app} está listo',
  install: 'Instalar',
  installed: 'Instalada',
  installing: 'Guardando…',
  integrationsEmpty: 'Aún no hay integraciones.',
  integrationsFailed: 'No se pudieron cargar las integraciones.',
  loading: 'Cargando…',
  notInstalled: 'No instalada',
  optionsFailed: 'No se pudieron cargar las opciones.',
  orUseKey: 'O introduzca los datos',
  popupBlocked: 'Se bloqueó la ventana de inicio de sesión. Permita las ventanas emergentes.',
  popupClosed: 'La ventana de inicio de sesión se cerró antes de conectar la cuenta.',
  reconnect: 'Requiere reconexión',
  remove: 'Eliminar',
  required: 'El campo {label} es obligatorio',
  retry: 'Reintentar',
  save: 'Guardar',
  search: 'Buscar integraciones',
  settingsTitle: 'Configuración',
  signingSecret: 'Secreto de firma: cópielo ahora, solo se muestra una vez',
  uninstall: 'Desinstalar',
  updateAvailable: 'Actualización disponible',
  upgrade: 'Actualizar',
};

const reload = 'Recargue la página.';
const later = 'Inténtelo más tarde.';
/** For what the user cannot fix: the server's fault, or the widget's or the host page's bug. */
const failed = `Se produjo un error. ${later}`;
const session = `Su sesión ha caducado. ${reload}`;
const stale = `Esta información está desactualizada. ${reload}`;

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
    network: 'Sin conexión. Compruebe su red.',
    forbidden: 'No tiene acceso a este elemento.',
    invalid_request: 'Revise los datos e inténtelo de nuevo.',
    rate_limited: 'Demasiados intentos. Espere un momento.',
    upstream_error: `La aplicación no responde. ${later}`,
    unavailable: `Servicio no disponible por ahora. ${later}`,
    payload_too_large: 'Los datos son demasiado grandes.',
    upgrade_blocked: 'Vuelva a instalar para aplicar esta actualización.',
    popup_blocked: strings.popupBlocked,
    popup_closed: strings.popupClosed,
  },
} satisfies Locale;
