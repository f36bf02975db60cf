import { ApiError, validationError } from '../errors';
import { UserIdQuery } from '../schemas';
import type { Store } from '../store';
import type { User } from '../store/users';

/** The user named by id or username, or a 404 that says which was not found. */
export async function requireUser(store: Store, userIdOrUsername: string): Promise<User> {
  const user = await store.users.find(userIdOrUsername);
  if (!user) throw new ApiError(404, 'not_found', `No user with id or username "${userIdOrUsername}"`);
  return user;
}

/**
 * The user an ISV operation acts for: with the API key, the user `named` (required); with a user
 * token (`tokenUserId`, set only by the browser SDK's `x-alloy-user-token`), the token's user. A
 * token never reaches another user's rows: naming anyone else is a 403, the same whether or not
 * that user exists, so a token cannot probe for users either.
 */
export async function actingUser(store: Store, tokenUserId: string | undefined, named: string | undefined): Promise<User> {
  if (tokenUserId === undefined) {
    if (named === undefined) throw validationError(UserIdQuery.safeParse({}).error!);
    return requireUser(store, named);
  }
  if (named !== undefined && (await store.users.find(named))?.userId !== tokenUserId) {
    throw new ApiError(403, 'forbidden', `A user token acts for its own user only: "${named}" is not the user of this token`, [
      { path: 'userId', message: 'must be the token’s user, or left out' },
    ]);
  }
  return requireUser(store, tokenUserId);
}
