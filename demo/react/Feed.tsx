/** @jsxImportSource react */
import { useEffect, useState } from 'react';
import { call } from './alloy';

interface Entry {
  seq: number;
  at: string;
  destination: string;
  data: { channel?: string; text?: string; orderId?: string; status?: string; body?: unknown };
}

const NAMES: Record<string, string> = { slack: 'Slack', bigcommerce: 'BigCommerce', acmeco: 'AcmeCo receiver', sink: 'Stream Data sink' };

function describe({ destination, data }: Entry): { title: string; text: string } {
  const name = NAMES[destination] ?? destination;
  if (destination === 'slack') return { title: `${name} · ${data.channel}`, text: data.text ?? '' };
  if (destination === 'bigcommerce') return { title: `${name} · order ${data.orderId}`, text: `Status: ${data.status}` };
  return { title: name, text: JSON.stringify(data.body, null, 2) };
}

/** What the fake apps received (`/demo/feed`), polled every half second, newest first. */
export function Feed() {
  const [entries, setEntries] = useState<Entry[]>([]);

  useEffect(() => {
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let live = true;
    const poll = async () => {
      try {
        const { entries: fresh } = await call<{ entries: Entry[] }>(`/demo/feed?after=${last}`);
        if (live && fresh.length) {
          last = fresh[fresh.length - 1]!.seq;
          setEntries((old) => [...fresh.reverse(), ...old]);
        }
      } catch {
        // the server restarts: try again
      }
      if (live) timer = setTimeout(poll, 500);
    };
    void poll();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, []);

  return (
    <section className="card" aria-labelledby="h-feed">
      <h2 id="h-feed">Live: what the apps received</h2>
      <p className="note">Every half second from the demo’s fake Slack and BigCommerce and AcmeCo’s receiver.</p>
      {entries.length === 0 && <p className="empty">Nothing yet. Connect Slack, then create a ticket.</p>}
      <ol className="feed" tabIndex={0} aria-label="Received" aria-live="polite" aria-relevant="additions">
        {entries.map((entry) => {
          const { title, text } = describe(entry);
          return (
            <li key={entry.seq} data-destination={entry.destination}>
              <div className="meta">
                <span className="dest">{title}</span>
                <time dateTime={entry.at}>{new Date(entry.at).toLocaleTimeString()}</time>
              </div>
              {entry.destination === 'slack' || entry.destination === 'bigcommerce' ? <p className="text">{text}</p> : <pre>{text}</pre>}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
