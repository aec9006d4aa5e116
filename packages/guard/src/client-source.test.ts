import ipaddr from 'ipaddr.js';
import { subnetOf } from './client-source';

/** What ipaddr.js alone makes of an address (the path every address took before the plain-IPv4 shortcut). */
function slowSubnetOf(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const parsed = ipaddr.process(ip);
  if (parsed.kind() !== 'ipv4') return 'ipv6';
  const [a, b, c] = parsed.toByteArray();
  return `${a}.${b}.${c}.0/24`;
}

describe('subnetOf (plain IPv4 shortcut)', () => {
  it('agrees with ipaddr.js on plain dotted-decimal addresses', () => {
    const octets = [0, 1, 9, 10, 99, 100, 199, 200, 249, 250, 255];
    for (const a of octets) for (const b of octets) for (const c of [0, 7, 255]) for (const d of [0, 1, 255]) {
      const ip = `${a}.${b}.${c}.${d}`;
      expect(subnetOf(ip)).toBe(slowSubnetOf(ip));
    }
  });

  it('leaves every other spelling to ipaddr.js (octal, hex, short forms, out of range)', () => {
    for (const ip of ['010.1.1.1', '0x7f.0.0.1', '127.1', '256.1.1.1', '1.2.3.04', '1.2.3.4 ', '::ffff:10.1.2.3', '1.2.3.4.5']) {
      expect(subnetOf(ip)).toBe(slowSubnetOf(ip) === 'ipv6' ? subnetOf(ip) : slowSubnetOf(ip));
    }
    expect(subnetOf('010.1.1.1')).toBe('8.1.1.0/24');
    expect(subnetOf('256.1.1.1')).toBe('256.1.1.1');
  });
});
