import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUser, startTestServer, storeKind, type TestServer } from '../helpers/server';

describe(`users, as Alloy's reference writes them (${storeKind})`, () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startTestServer();
  });
  afterEach(() => server.close());

  // create-a-user: POST /users/ { fullName, username } -> { userId }
  it('create-a-user: POST /users/ with the trailing slash answers { userId }', async () => {
    const res = await server.request('POST', '/2024-03/users/', { body: { fullName: 'Jane Merchant', username: 'merchant_123@example.com' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ userId: expect.any(String) });
    expect((await server.request('GET', `/users/${res.body.userId}`)).body).toMatchObject({ username: 'merchant_123@example.com', fullName: 'Jane Merchant' });
  });

  it('create-a-user: a body-less POST /users (the headless guide) makes a user whose username is its userId', async () => {
    const res = await server.request('POST', '/users', { headers: { 'x-api-version': '2025-09' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ userId: expect.any(String) });
    const user = await server.request('GET', `/users/${res.body.userId}`);
    expect(user.body).toMatchObject({ userId: res.body.userId, username: res.body.userId, fullName: null });
  });

  // generate-jwt-token: GET /users/{userId}/token -> { token }
  it('generate-jwt-token: answers { token } as a string', async () => {
    const userId = await createUser(server, 'ann');
    const res = await server.request('GET', `/users/${userId}/token?userId=${userId}`, { headers: { 'x-api-version': '2025-09' } });
    expect(res.status).toBe(200);
    expect(typeof res.body.token).toBe('string');
  });

  // disable-all-workflows-for-a-user: PUT /users/{userId}/deactivate-workflows -> { message: "Success" }
  it('disable-all-workflows-for-a-user: answers { message: "Success" }', async () => {
    const userId = await createUser(server, 'ann');
    const res = await server.request('PUT', `/users/${userId}/deactivate-workflows`);
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Success');
  });

  // delete-logs-for-a-user: DELETE /users/{userId}/logs?userId -> { message: "Success" }
  it('delete-logs-for-a-user: answers { message: "Success" }, with userId in the query as the page sends it', async () => {
    const userId = await createUser(server, 'ann');
    const res = await server.request('DELETE', `/users/${userId}/logs?userId=${userId}`);
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Success');
  });
});
