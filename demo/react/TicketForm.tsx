/** @jsxImportSource react */
import { useRef, useState, type FormEvent } from 'react';
import { message, post, ran } from './alloy';

type Status = { text: string; error?: boolean };

/** A ticket through AcmeCo's backend (`/demo/tickets`), or as an app event from the browser. */
export function TicketForm() {
  const form = useRef<HTMLFormElement>(null);
  const [ticket, setTicket] = useState({ ticketName: 'Printer on fire', customerEmail: 'ann@example.com', description: 'The office printer on floor 3 is smoking.' });
  const [status, setStatus] = useState<Status>({ text: '' });
  const [busy, setBusy] = useState(false);
  const field = (name: keyof typeof ticket) => ({
    id: name,
    name,
    value: ticket[name],
    required: true,
    onChange: (e: { target: { value: string } }) => setTicket((t) => ({ ...t, [name]: e.target.value })),
  });

  const run = async (what: () => Promise<Status>) => {
    setBusy(true);
    try {
      setStatus(await what());
    } catch (err) {
      setStatus({ text: message(err), error: true });
    } finally {
      setBusy(false);
    }
  };

  const create = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      try {
        return { text: ran(await post('/demo/tickets', ticket), `Ticket “${ticket.ticketName}” created`) };
      } catch (err) {
        throw new Error(`Could not create the ticket: ${message(err)}`);
      }
    });
  };

  const sendFromBrowser = () => {
    if (!form.current?.reportValidity()) return;
    void run(async () => {
      try {
        const result = await window.Alloy.sendAppEvent('Ticket Created', ticket);
        return { text: result.status === 'queued' ? 'Offline: the event waits in the browser outbox.' : ran(result, 'Sent from the browser') };
      } catch (err) {
        throw new Error(`The browser event was refused: ${message(err)}`);
      }
    });
  };

  return (
    <section className="card" aria-labelledby="h-ticket">
      <h2 id="h-ticket">Create a ticket</h2>
      <form ref={form} onSubmit={create}>
        <div className="split">
          <div>
            <label htmlFor="ticketName">Ticket name</label>
            <input {...field('ticketName')} />
          </div>
          <div>
            <label htmlFor="customerEmail">Customer email</label>
            <input {...field('customerEmail')} type="email" />
          </div>
        </div>
        <label htmlFor="description">Description</label>
        <textarea {...field('description')} rows={2} />
        <div className="row">
          <button type="submit" disabled={busy}>
            Create ticket
          </button>
          <button type="button" className="secondary" onClick={sendFromBrowser} disabled={busy}>
            Send from the browser
          </button>
        </div>
        <p className={`status${status.error ? ' error' : ''}`} role="status" data-testid="ticket-status">
          {status.text}
        </p>
      </form>
      <p className="note">
        “Create ticket” goes through AcmeCo’s backend (<code>POST /run/event</code> with the API key, which never reaches this page). “Send from the browser” calls{' '}
        <code>window.Alloy.sendAppEvent('Ticket Created', …)</code> from a React handler, with the user token.
      </p>
    </section>
  );
}
