import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config';

describe('configuration', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, workers: true, workerConcurrency: 50, allowPrivateUrls: false, tokenTtlSeconds: 3600, logRetentionDays: 60 });
    expect(config.retrySchedule).toEqual([1000, 5000, 30000, 120000, 600000]);
    expect(config.retryAfterMaxMs).toBe(3_600_000);
    expect(config.apiUrls).toMatchObject({ slack: 'https://slack.com/api', bigcommerce: 'https://api.bigcommerce.com' });
    expect(config.oauthClients).toEqual({});
  });

  it('takes each connector’s API URL and OAuth client from the variables it declares', () => {
    const config = loadConfig({ SLACK_API_URL: 'http://127.0.0.1:9/api/', SLACK_CLIENT_ID: 'id', SLACK_CLIENT_SECRET: 'secret', NETSUITE_API_URL: 'http://127.0.0.1:8' });
    expect(config.apiUrls).toMatchObject({ slack: 'http://127.0.0.1:9/api', netsuite: 'http://127.0.0.1:8' });
    expect(config.oauthClients).toEqual({ slack: { clientId: 'id', clientSecret: 'secret', authorizeUrl: 'https://slack.com/oauth/v2/authorize' } });
  });

  it('stops with the variable and the reason when a value is bad', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT: /);
    expect(() => loadConfig({ RETRY_SCHEDULE: '1s,5s' })).toThrow(/RETRY_SCHEDULE: comma-separated delays/);
    expect(() => loadConfig({ RETRY_AFTER_MAX_MS: '1h' })).toThrow(/RETRY_AFTER_MAX_MS: /);
    expect(() => loadConfig({ SLACK_API_URL: 'not a url' })).toThrow(/SLACK_API_URL: expected a URL, got "not a url"/);
    expect(() => loadConfig({ ALLOY_WEBHOOK_SECRET: 'secret' })).toThrow(/ALLOY_WEBHOOK_SECRET: must be a Standard Webhooks secret/);
  });

  it('stops a production start with OAuth set up but no PUBLIC_URL, naming it: the redirect URI would follow the Host header', () => {
    const production = { NODE_ENV: 'production', SLACK_CLIENT_ID: 'id', SLACK_CLIENT_SECRET: 'secret' };
    expect(() => loadConfig(production)).toThrow(
      /^Invalid configuration:\n {2}PUBLIC_URL: required in production when OAuth is set up \(SLACK_CLIENT_ID\): the OAuth redirect URI is built from it$/,
    );
    expect(loadConfig({ ...production, PUBLIC_URL: 'https://integrations.acme.test/' }).publicUrl).toBe('https://integrations.acme.test');
    // Without OAuth, or in development, it is not required.
    expect(loadConfig({ NODE_ENV: 'production' }).publicUrl).toBeUndefined();
    expect(loadConfig({ SLACK_CLIENT_ID: 'id', SLACK_CLIENT_SECRET: 'secret' }).publicUrl).toBeUndefined();
  });

  it('allows no browser origin in production unless told', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).allowedOrigins).toEqual([]);
    expect(loadConfig({}).allowedOrigins).toBeUndefined();
    expect(loadConfig({ ALLOY_ALLOWED_ORIGINS: 'https://a.test, https://b.test' }).allowedOrigins).toEqual(['https://a.test', 'https://b.test']);
  });
});
