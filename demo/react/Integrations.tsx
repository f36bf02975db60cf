/** @jsxImportSource react */
import { useEffect, useRef } from 'react';

/**
 * The widget's integrations page in a div React leaves alone: rendered in an effect whose cleanup
 * is the unmount function `renderIntegrations` returns. A new `revision` renders it again.
 */
export function Integrations({ revision }: { revision: number }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => window.Alloy.renderIntegrations(ref.current!), [revision]);
  return <div ref={ref} data-testid="integrations" />;
}
