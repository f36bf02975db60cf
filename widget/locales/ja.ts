import type { Locale } from './types';

const reload = '再読み込みしてください。';
const later = '後でお試しください。';

/**
 * The words in alphabetical order (gzip then finds more repeats: install, installed, installing…),
 * then the error messages (`ErrorKey` in ../strings.ts).
 */
export default {
  active: '有効',
  choose: '選択…',
  close: '閉じる',
  configure: '設定',
  connect: '接続',
  connectTitle: '{app}アカウントを接続',
  connectWith: '{app}で接続',
  doneBody: '閉じてかまいません。',
  doneTitle: '{app}の準備完了',
  install: 'インストール',
  installed: 'インストール済み',
  installing: '保存中…',
  integrationsEmpty: '連携はまだありません。',
  integrationsFailed: '連携を読み込めませんでした。',
  loading: '読み込み中…',
  notInstalled: '未インストール',
  optionsFailed: '読み込めませんでした。',
  orUseKey: 'または直接入力',
  popupBlocked: 'ポップアップを許可してください。',
  popupClosed: '接続前に画面が閉じられました。',
  reconnect: '再接続が必要',
  remove: '削除',
  required: '{label}は必須です',
  requiredTarget: '{label}（必須）',
  retry: '再試行',
  save: '保存',
  search: '連携を検索',
  settingsTitle: '設定',
  signingSecret: '署名シークレット：今すぐコピーしてください',
  uninstall: 'アンインストール',
  updateAvailable: '更新あり',
  upgrade: '更新',
  unauthorized: `セッションが無効です。${reload}`,
  not_found: `情報が古くなっています。${reload}`,
  /** For what the user cannot fix: the server's fault, or the widget's or the host page's bug. */
  server: `エラーが発生しました。${later}`,
  network: '接続を確認してください。',
  forbidden: 'アクセス権がありません。',
  invalid_request: '入力内容を確認してください。',
  rate_limited: later,
  upstream_error: `アプリが応答しません。${later}`,
  unavailable: later,
  payload_too_large: 'データが大きすぎます。',
  upgrade_blocked: '再インストールが必要です。',
  oauth: 'サインインに失敗しました。もう一度お試しください。',
} satisfies Locale;
