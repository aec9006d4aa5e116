/**
 * Made-up client addresses for load sent through a proxy hop the target trusts (X-Forwarded-For).
 * `spreadAddress` puts consecutive numbers in different /24 subnets (65,536 of them under `firstOctet`), so rotating
 * traffic never piles up on one subnet's budget; `subnetAddress` stays inside one /24.
 */
export function spreadAddress(firstOctet: number, n: number): string {
  const subnet = n & 0xffff;
  return `${firstOctet}.${subnet >> 8}.${subnet & 0xff}.${1 + ((n >>> 16) % 254)}`;
}

/** Host `host` (1-254) of the /24 `a.b.c`. */
export function subnetAddress(subnet24: string, host: number): string {
  return `${subnet24}.${1 + (host % 254)}`;
}
