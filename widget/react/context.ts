import { createContext } from 'react';

/**
 * What `<AlloyProvider>` hands down: a number that changes whenever it gives the session a new
 * token, token provider or base URL, so what depends on the user loads again. 0: no provider (the
 * page calls `setToken` itself).
 */
export const AlloyContext = createContext<{ session: number }>({ session: 0 });
