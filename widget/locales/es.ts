import type { Locale } from './types';

const reload = 'Recargue la página.';
const later = 'Inténtelo más tarde.';

/**
 * The words in alphabetical order (gzip then finds more repeats: install, installed, installing…),
 * then the error messages (`ErrorKey` in ../strings.ts).
 */
export default {
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
  requiredTarget: '{label} (obligatorio)',
  retry: 'Reintentar',
  save: 'Guardar',
  search: 'Buscar integraciones',
  settingsTitle: 'Configuración',
  signingSecret: 'Secreto de firma: cópielo ahora, solo se muestra una vez',
  uninstall: 'Desinstalar',
  updateAvailable: 'Actualización disponible',
  upgrade: 'Actualizar',
  unauthorized: `Su sesión ha caducado. ${reload}`,
  not_found: `Esta información está desactualizada. ${reload}`,
  /** For what the user cannot fix: the server's fault, or the widget's or the host page's bug. */
  server: `Se produjo un error. ${later}`,
  network: 'Sin conexión. Compruebe su red.',
  forbidden: 'No tiene acceso a este elemento.',
  invalid_request: 'Revise los datos e inténtelo de nuevo.',
  rate_limited: 'Demasiados intentos. Espere un momento.',
  upstream_error: `La aplicación no responde. ${later}`,
  unavailable: `Servicio no disponible por ahora. ${later}`,
  payload_too_large: 'Los datos son demasiado grandes.',
  upgrade_blocked: 'Vuelva a instalar para aplicar esta actualización.',
  oauth: 'No se pudo iniciar sesión. Inténtelo de nuevo.',
} satisfies Locale;
