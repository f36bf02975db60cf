import { useEffect } from 'preact/hooks';
import { api } from '../api';
import { FilterForm, text } from '../components/Filters';
import { Heading } from '../components/Heading';
import { Link } from '../components/Link';
import { Pending, useLoad } from '../components/Load';
import { Pager, pageSize } from '../components/Pager';
import { Table } from '../components/Table';
import { count, dateTime } from '../format';
import { announce, href, navigate, route } from '../state';

/** Users, found by id or username prefix, a page at a time. */
export function Users() {
  const q = route.value.query.get('q') ?? '';
  const cursor = route.value.query.get('cursor') ?? '';
  const limit = pageSize(route.value.query);
  const state = useLoad(() => api.users({ q: q || undefined, cursor: cursor || undefined, limit }), [q, cursor, limit]);
  const page = state.data;
  useEffect(() => {
    if (page && q) announce(`${page.data.length}${page.nextCursor ? ' or more' : ''} users found`);
  }, [page]);

  return (
    <>
      <Heading title="Users" />
      <FilterForm label="Find users" onSubmit={(f) => navigate(href('/users', { q: text(f, 'q') }))}>
        <div class="field grow">
          <label for="user-q">User id or username</label>
          <input id="user-q" name="q" type="search" defaultValue={q} autocomplete="off" />
        </div>
      </FilterForm>
      {!page ? (
        <Pending state={state} what="users" />
      ) : page.data.length === 0 ? (
        <p>{q ? `No user has the id "${q}" or a username starting with it.` : 'No users yet.'}</p>
      ) : (
        <>
          <Table label="Users">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">User id</th>
                <th scope="col">Created</th>
                <th scope="col" class="num">
                  Installations
                </th>
              </tr>
            </thead>
            <tbody>
              {page.data.map((u) => (
                <tr key={u.userId}>
                  <th scope="row">
                    <Link href={href(`/users/${encodeURIComponent(u.userId)}`)}>{u.username}</Link>
                  </th>
                  <td>
                    <code>{u.userId}</code>
                  </td>
                  <td>{dateTime(u.createdAt)}</td>
                  <td class="num">{count(u.installations)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pager first={href('/users', { q, limit })} next={page.nextCursor && href('/users', { q, limit, cursor: page.nextCursor })} onFirstPage={!cursor} />
        </>
      )}
    </>
  );
}
