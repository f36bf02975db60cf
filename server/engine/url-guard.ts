import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { NonRetriableError } from './errors';

// Where an outbound call must not go unless the operator allows it: this machine, the private
// network, link-local (cloud metadata at 169.254.169.254), and other non-public ranges.
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

/** Whether an IP address is private, loopback, link-local or otherwise not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const mapped = address.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true;
  return blocked.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Refuses a host (name or IP) that resolves to a private address, unless private targets are
 * allowed (ALLOY_ALLOW_PRIVATE_URLS=true). Returns the address to connect to: the checked address
 * when the host was resolved here (so a second lookup cannot swap in a private one), the host
 * itself when private targets are allowed. `label` names the target in messages.
 */
export async function assertPublicHost(host: string, allowPrivate: boolean, label = host): Promise<string> {
  const bare = host.trim().replace(/^\[|\]$/g, '');
  if (!bare) throw new NonRetriableError('No host given');
  if (allowPrivate) return bare;
  const addresses = isIP(bare) ? [bare] : (await lookup(bare, { all: true }).catch(() => [])).map((a) => a.address);
  if (addresses.length === 0) throw new NonRetriableError(`${label} does not resolve`);
  const bad = addresses.find(isPrivateAddress);
  if (bad) throw new NonRetriableError(`${label} resolves to a private address (${bad}); set ALLOY_ALLOW_PRIVATE_URLS=true to allow it`);
  return addresses[0]!;
}

/**
 * Refuses a URL that is not http(s) or whose host resolves to a private address, unless private
 * targets are allowed (ALLOY_ALLOW_PRIVATE_URLS=true, for development and tests).
 */
export async function assertPublicUrl(url: string, allowPrivate: boolean): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NonRetriableError(`"${url}" is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new NonRetriableError(`Only http and https URLs are allowed, not ${parsed.protocol}`);
  if (!allowPrivate) await assertPublicHost(parsed.hostname, false, parsed.host);
  return parsed;
}
