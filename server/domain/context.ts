import type { Config } from '../config';
import type { Engine } from '../engine';
import type { Definitions } from '../definitions/load';
import type { Vault } from '../secrets';
import type { Store } from '../store';
import type { TokenService } from '../tokens';

/** Everything a route needs, built once at start and handed to each route factory. */
export interface Services {
  config: Config;
  store: Store;
  definitions: Definitions;
  tokens: TokenService;
  vault: Vault;
  /** Hashes of the ISV API keys that are accepted. */
  apiKeyHashes: string[];
  /** The execution engine: its worker (when this process runs one) and connector settings. */
  engine: Engine;
}
