import { ApiError } from '../errors';
import type { Store } from '../store';
import type { User } from '../store/users';

/** The user named by id or username, or a 404 that says which was not found. */
export async function requireUser(store: Store, userIdOrUsername: string): Promise<User> {
  const user = await store.users.find(userIdOrUsername);
  if (!user) throw new ApiError(404, 'not_found', `No user with id or username "${userIdOrUsername}"`);
  return user;
}
