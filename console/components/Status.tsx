/** A status in words, coloured by kind (the words carry the meaning: colour is only a help). */
export function Status({ value }: { value: string }) {
  const kind = ['succeeded', 'success', 'delivered', 'healthy', 'active'].includes(value)
    ? 'ok'
    : ['failed', 'needs_reconnect', 'deleted', 'inactive'].includes(value)
      ? 'bad'
      : 'neutral';
  return <span class={`status status-${kind}`}>{value.replace(/_/g, ' ')}</span>;
}
