import { describe, expect, it } from 'vitest';
import { TemplateError, parsePath, referencedPaths, renderInput, type TemplateScope } from '../../../server/engine/template';

const scope: TemplateScope = {
  event: { ticketName: 'Printer', count: 3, customer: { email: 'a@b.co' }, items: [{ sku: 'X1' }, { sku: 'X2' }], empty: null },
  config: { channel: 'C123' },
  user: { userId: 'u1', username: 'gregg' },
  steps: { 'post-message': { output: { ts: '1.2' } } },
};

describe('the template language', () => {
  it('keeps the type of a value that is the whole string', () => {
    expect(renderInput('{{event.count}}', scope, 'b')).toBe(3);
    expect(renderInput('{{event.customer}}', scope, 'b')).toEqual({ email: 'a@b.co' });
    expect(renderInput('{{ event.empty }}', scope, 'b')).toBeNull();
  });

  it('writes values into longer text, objects as JSON', () => {
    expect(renderInput('Ticket {{event.ticketName}} ({{event.count}}) {{event.customer}}', scope, 'b')).toBe('Ticket Printer (3) {"email":"a@b.co"}');
  });

  it('walks nested objects, arrays and every root', () => {
    const input = { a: ['{{event.items[1].sku}}', '{{config.channel}}'], b: { c: '{{user.userId}}', d: '{{steps.post-message.output.ts}}' }, e: 7 };
    expect(renderInput(input, scope, 'b')).toEqual({ a: ['X2', 'C123'], b: { c: 'u1', d: '1.2' }, e: 7 });
  });

  it('names the block, the path and what is there when a path is missing', () => {
    const err = (() => {
      try {
        renderInput({ text: 'Hi {{event.ticketNam}}' }, scope, 'post-message');
      } catch (e) {
        return e as TemplateError;
      }
    })();
    expect(err).toBeInstanceOf(TemplateError);
    expect(err!.blockId).toBe('post-message');
    expect(err!.path).toBe('event.ticketNam');
    expect(err!.message).toBe('Block "post-message": "{{event.ticketNam}}" has no value: event has no "ticketNam" (available: ticketName, count, customer, items, empty)');
  });

  it('reports an index past the end of an array', () => {
    expect(() => renderInput('{{event.items[5].sku}}', scope, 'b')).toThrow('event.items has no "5" (it has 2 items)');
  });

  it('refuses roots it does not know and malformed paths, evaluating nothing', () => {
    expect(() => renderInput('{{process.env.SECRET}}', scope, 'b')).toThrow(/not a valid path/);
    expect(() => renderInput('{{event..x}}', scope, 'b')).toThrow(/not a valid path/);
    expect(() => renderInput('{{constructor.constructor("return 1")()}}', scope, 'b')).toThrow(TemplateError);
    expect(() => renderInput('{{event.__proto__}}', scope, 'b')).toThrow(/has no "__proto__"/);
  });

  it('parses paths with dots and indexes', () => {
    expect(parsePath('event.items[0].sku')).toEqual(['event', 'items', 0, 'sku']);
    expect(parsePath('event.')).toBeUndefined();
    expect(parsePath('')).toBeUndefined();
  });

  it('lists the paths an input refers to', () => {
    expect(referencedPaths({ a: '{{event.a}} and {{ config.b }}', b: ['{{user.userId}}'] })).toEqual(['event.a', 'config.b', 'user.userId']);
  });
});
