import { lookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { NonRetriableError, RetryAfterError } from './errors';

// Where an outbound call must not go unless the operator allows it: this machine, the private
// network, link-local (cloud metadata at 169.254.169.254), and other non-public ranges.
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches this machine
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback (::1), IPv4-compatible (::7f00:1)
  ['64:ff9b:1::', 48], // local-use NAT64 (RFC 8215): translated by this network's own gateway
  ['100::', 64], // discard
  ['2001::', 32], // Teredo: tunnels to an IPv4 address
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');
// IPv4-mapped addresses (::ffff:a.b.c.d) are checked against the IPv4 ranges by BlockList itself.

/** The eight 16-bit groups of an IPv6 address (which may end in a dotted IPv4 address). */
function hextets(address: string): number[] {
  let a = address.toLowerCase();
  const v4 = a.match(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, -v4[0].length)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head = '', tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const parts = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return parts.map((x) => parseInt(x, 16));
}

const dotted = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;

/** Whether an IP address is private, loopback, link-local or otherwise not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/%.*$/, ''); // a zone (fe80::1%eth0) is link-local anyway
  const family = isIP(bare);
  if (family === 0) return true;
  if (family === 4) return blocked.check(bare, 'ipv4');
  if (blocked.check(bare, 'ipv6')) return true;
  // IPv6 forms that carry an IPv4 address a gateway would connect to: NAT64, IPv4-translated
  // (SIIT, ::ffff:0:a.b.c.d) and 6to4.
  const h = hextets(bare);
  if (h.length === 8 && h[0] === 0x64 && h[1] === 0xff9b && h.slice(2, 6).every((x) => x === 0)) return blocked.check(dotted(h[6]!, h[7]!), 'ipv4');
  if (h.length === 8 && h.slice(0, 4).every((x) => x === 0) && h[4] === 0xffff && h[5] === 0) return blocked.check(dotted(h[6]!, h[7]!), 'ipv4');
  if (h.length === 8 && h[0] === 0x2002) return blocked.check(dotted(h[1]!, h[2]!), 'ipv4');
  return false;
}

/** Resolves a host name to all its addresses. Replaceable in tests (`setResolver`), never in production. */
export type Resolver = (host: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });
let resolver: Resolver = systemResolver;

/**
 * Tests only: replaces DNS for the guard and for the connections the HTTP client makes through
 * it (`undefined` restores the system resolver), so DNS answers, rebinding included, can be
 * played without a network.
 */
export function setResolver(fn: Resolver | undefined): void {
  resolver = fn ?? systemResolver;
}

/** A refused target: a private address where only public ones are allowed. Not retried. */
export class PrivateAddressError extends NonRetriableError {
  readonly code = 'ERR_PRIVATE_ADDRESS';
  constructor(label: string, address: string) {
    super(`${label} resolves to a private address (${address}); set ALLOY_ALLOW_PRIVATE_URLS=true to allow it`);
    this.name = 'PrivateAddressError';
  }
}

/** Names that are this machine whatever DNS says (RFC 6761). */
const LOCAL_NAME = /(^|\.)localhost\.?$/i;

/**
 * Resolves `host` (a name or an IP literal, brackets allowed) and refuses it when any of its
 * addresses is private: one public address beside a private one is how a name is made to point
 * inside. A name that does not exist fails for good; a DNS failure that may pass (EAI_AGAIN, a
 * timeout) is retried. `label` names the target in messages.
 */
export async function resolvePublic(host: string, label = host): Promise<LookupAddress[]> {
  const bare = host.trim().replace(/^\[|\]$/g, '');
  if (!bare) throw new NonRetriableError('No host given');
  const family = isIP(bare);
  if (family !== 0) {
    if (isPrivateAddress(bare)) throw new PrivateAddressError(label, bare);
    return [{ address: bare, family }];
  }
  if (LOCAL_NAME.test(bare)) throw new PrivateAddressError(label, 'localhost');
  let addresses: LookupAddress[];
  try {
    addresses = await resolver(bare.replace(/\.$/, ''));
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'ENOTFOUND' || code === 'ENODATA') throw new NonRetriableError(`${label} does not resolve (${code})`, { cause: err });
    throw new RetryAfterError(`DNS lookup of ${label} failed (${code || (err as Error).message})`, undefined, { cause: err });
  }
  if (addresses.length === 0) throw new NonRetriableError(`${label} does not resolve`);
  const bad = addresses.find((a) => isPrivateAddress(a.address));
  if (bad) throw new PrivateAddressError(label, bad.address);
  return addresses;
}

/**
 * A `lookup` for `net.connect` / undici's `connect` option: resolves once, refuses private
 * addresses, and hands the socket exactly the addresses it checked. The connection goes where
 * the check looked: no second, unchecked resolution a rebinding DNS server could answer
 * differently.
 */
export function guardedLookup(
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  resolvePublic(hostname).then(
    (all) => {
      const wanted = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
      if (wanted.length === 0) {
        return callback(Object.assign(new Error(`${hostname} has no IPv${options.family} address`), { code: 'ENOTFOUND' }), '');
      }
      if (options.all) callback(null, wanted);
      else callback(null, wanted[0]!.address, wanted[0]!.family);
    },
    (err: NodeJS.ErrnoException) => callback(err, ''),
  );
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
  return (await resolvePublic(bare, label))[0]!.address;
}

/** An outbound URL: valid, and http or https. */
export function parseOutboundUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new NonRetriableError(`"${url}" is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new NonRetriableError(`Only http and https URLs are allowed, not ${parsed.protocol}`);
  return parsed;
}

/**
 * Refuses a URL that is not http(s) or whose host resolves to a private address, unless private
 * targets are allowed (ALLOY_ALLOW_PRIVATE_URLS=true, for development and tests). A check ahead
 * of time only: the HTTP client checks again the address it connects to (`guardedLookup`).
 */
export async function assertPublicUrl(url: string, allowPrivate: boolean): Promise<URL> {
  const parsed = parseOutboundUrl(url);
  if (!allowPrivate) await resolvePublic(parsed.hostname, parsed.host);
  return parsed;
}
