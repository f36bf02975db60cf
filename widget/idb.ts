/**
 * The outbox's IndexedDB store (database `alloy-outbox`, object store `events`): the three calls it
 * needs, in fewer bytes than a key-value library.
 */
let db: Promise<IDBDatabase> | undefined;

const done = <T>(request: IDBRequest<T> | IDBTransaction) =>
  new Promise<T>((resolve, reject) => {
    const r = request as IDBRequest<T>;
    (r as unknown as IDBTransaction).oncomplete = r.onsuccess = () => resolve(r.result);
    (r as unknown as IDBTransaction).onabort = r.onerror = () => reject(r.error);
  });

function store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
  db ??= (() => {
    const open = indexedDB.open('alloy-outbox');
    open.onupgradeneeded = () => open.result.createObjectStore('events');
    // A failed open (private mode, quota) is tried again on the next call.
    return done(open).catch((err) => {
      db = undefined;
      throw err;
    });
  })();
  return db.then((d) => d.transaction('events', mode).objectStore('events'));
}

/** Stores `value` under `key`; resolves once it is committed. */
export const put = (key: string, value: unknown) => store('readwrite').then((s) => (s.put(value, key), done(s.transaction)));
/** Removes `key`; resolves once it is committed. */
export const remove = (key: string) => store('readwrite').then((s) => (s.delete(key), done(s.transaction)));
/** Every stored value. */
export const all = <T>() => store('readonly').then((s) => done(s.getAll() as IDBRequest<T[]>));
