import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify, errors, type JWK, type CryptoKey } from 'jose';
import { ApiError } from './errors';
import { newId } from './ids';
import type { Vault } from './secrets';
import type { Keys } from './store/keys';

const ALG = 'ES256';

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

export interface TokenOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/**
 * Mints and verifies the short-lived user tokens the widget carries. ES256 keys are generated on
 * first start, kept in the store (private half encrypted) and published at /.well-known/jwks.json.
 */
export class TokenService {
  private keys: LoadedKey[] = [];

  private constructor(
    private readonly store: Keys,
    private readonly vault: Vault,
    private readonly options: TokenOptions,
  ) {}

  static async open(store: Keys, vault: Vault, options: TokenOptions): Promise<TokenService> {
    const service = new TokenService(store, vault, options);
    await service.reload();
    if (service.keys.length === 0) {
      const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
      const kid = newId();
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALG, use: 'sig' };
      await store.addSigningKey({
        kid,
        alg: ALG,
        private_jwk: vault.encrypt(JSON.stringify(await exportJWK(privateKey))),
        public_jwk: JSON.stringify(publicJwk),
        created_at: Date.now(),
      });
      await service.reload();
    }
    return service;
  }

  private reloadedAt = 0;

  private async reload(): Promise<void> {
    this.reloadedAt = Date.now();
    const rows = await this.store.signingKeys();
    this.keys = await Promise.all(
      rows.map(async (row) => {
        const publicJwk = JSON.parse(row.public_jwk) as JWK;
        return {
          kid: row.kid,
          publicJwk,
          privateKey: (await importJWK(JSON.parse(this.vault.decrypt(row.private_jwk)) as JWK, row.alg)) as CryptoKey,
          publicKey: (await importJWK(publicJwk, row.alg)) as CryptoKey,
        };
      }),
    );
  }

  /** A token for one user, valid for the configured lifetime, and when it expires. */
  async mint(userId: string): Promise<{ token: string; expiresAt: string }> {
    // Every process signs with the oldest key, so they agree even if two generated one at once.
    const key = this.keys[0]!;
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.options.ttlSeconds;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setJti(newId())
      .sign(key.privateKey);
    return { token, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /** The user id of a valid token; a 401 `ApiError` saying why otherwise. */
  async verify(token: string): Promise<{ userId: string; expiresAt: number }> {
    try {
      const { payload } = await jwtVerify(token, (header) => this.publicKey(header.kid), {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: [ALG],
        requiredClaims: ['sub', 'exp'],
      });
      return { userId: payload.sub!, expiresAt: payload.exp! * 1000 };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new ApiError(401, 'unauthorized', 'The user token has expired');
      if (err instanceof ApiError) throw err;
      throw new ApiError(401, 'unauthorized', 'The user token is invalid');
    }
  }

  private async publicKey(kid: string | undefined): Promise<CryptoKey> {
    let key = this.keys.find((k) => k.kid === kid);
    if (!key && kid && Date.now() - this.reloadedAt > 10_000) {
      // Another process may have added a key since we loaded; at most every 10 s, so forged
      // kids cannot turn every request into a store query.
      await this.reload();
      key = this.keys.find((k) => k.kid === kid);
    }
    if (!key) throw new ApiError(401, 'unauthorized', 'The user token is signed by an unknown key');
    return key.publicKey;
  }

  /** The public keys, as a JSON Web Key Set. */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
}
