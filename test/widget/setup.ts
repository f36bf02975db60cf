// Imported first by every widget test, before any server module is evaluated.
//
// Vitest's happy-dom environment replaces the global Request, Response, Headers, FormData, URL
// and URLSearchParams with happy-dom's. The test server runs in this same process, and Hono (and
// @hono/node-server, which captures `Request` when it loads) must build Node's own: undici's
// classes are those. happy-dom's URL also resolves `new URL('../x', 'file:///…')` against the
// page (http://localhost:3000/x), which breaks `new URL(…, import.meta.url)` in test helpers.
// The widget is unaffected: it calls `fetch`, which stays happy-dom's (with its CORS checks), and
// happy-dom's fetch builds its Responses from its window, not from these globals.
import { URL, URLSearchParams } from 'node:url';
import { FormData, Headers, Request, Response } from 'undici';
import 'fake-indexeddb/auto';
import { configure } from '@testing-library/preact';

Object.assign(globalThis, { Headers, Request, Response, FormData, URL, URLSearchParams });

// Testing-library prints the container when a query fails, and cannot print a ShadowRoot (it
// throws from a timer instead, hiding the real failure): print its HTML instead.
configure({
  getElementError(message, container) {
    const error = new Error(`${message ?? ''}\n\n${(container as Element | undefined)?.innerHTML?.replace(/<style>[^]*?<\/style>/g, '') ?? ''}`);
    error.name = 'TestingLibraryElementError';
    return error;
  },
});
