import type { Locale } from './types';

const reload = 'Recarregue a página.';
const later = 'Tente novamente mais tarde.';

/**
 * The words in alphabetical order (gzip then finds more repeats: install, installed, installing…),
 * then the error messages (`ErrorKey` in ../strings.ts).
 */
export default {
  active: 'Ativa',
  choose: 'Selecione…',
  close: 'Fechar',
  configure: 'Configurar',
  connect: 'Conectar',
  connectTitle: 'Conecte sua conta do {app}',
  connectWith: 'Conectar com {app}',
  doneBody: 'Tudo certo. Você pode fechar esta janela.',
  doneTitle: '{app} está pronto',
  install: 'Instalar',
  installed: 'Instalada',
  installing: 'Salvando…',
  integrationsEmpty: 'Nenhuma integração disponível.',
  integrationsFailed: 'Não foi possível carregar as integrações.',
  loading: 'Carregando…',
  notInstalled: 'Não instalada',
  optionsFailed: 'Não foi possível carregar as opções.',
  orUseKey: 'Ou informe os dados',
  popupBlocked: 'A janela de login foi bloqueada. Permita pop-ups e tente novamente.',
  popupClosed: 'A janela de login foi fechada antes de conectar a conta.',
  reconnect: 'Reconexão necessária',
  remove: 'Remover',
  required: 'O campo {label} é obrigatório',
  requiredTarget: '{label} (obrigatório)',
  retry: 'Tentar novamente',
  save: 'Salvar',
  search: 'Buscar integrações',
  settingsTitle: 'Configurações',
  signingSecret: 'Segredo de assinatura: copie agora, ele só é exibido uma vez',
  uninstall: 'Desinstalar',
  updateAvailable: 'Atualização disponível',
  upgrade: 'Atualizar',
  unauthorized: `Sua sessão expirou. ${reload}`,
  not_found: `Estas informações estão desatualizadas. ${reload}`,
  /** For what the user cannot fix: the server's fault, or the widget's or the host page's bug. */
  server: `Ocorreu um erro. ${later}`,
  network: 'Sem conexão. Verifique sua rede.',
  forbidden: 'Você não tem acesso a este item.',
  invalid_request: 'Verifique os dados e tente novamente.',
  rate_limited: 'Muitas tentativas. Aguarde um momento.',
  upstream_error: `O aplicativo não respondeu. ${later}`,
  unavailable: `Serviço indisponível no momento. ${later}`,
  payload_too_large: 'Os dados são grandes demais.',
  upgrade_blocked: 'Reinstale para aplicar esta atualização.',
  oauth: 'Não foi possível entrar. Tente novamente.',
} satisfies Locale;
