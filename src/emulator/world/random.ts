/**
 * Seeded, deterministic randomness for the emulated world: the same seed gives the same org, the same history
 * and the same live traffic, whatever the wall clock does.
 */

/** Mixes any list of numbers and strings into a 32-bit seed (FNV-1a over their text, then a murmur finaliser). */
export function hashSeed(...parts: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = `${part}\u0000`;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A small fast PRNG (sfc32) with the helpers the simulator needs. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    // Discard the first outputs so that close seeds diverge.
    for (let i = 0; i < 15; i++) this.nextUint32();
  }

  /** A child stream that depends only on this stream's seed state and the label, not on later draws. */
  fork(...label: (string | number)[]): Random {
    return new Random(hashSeed(this.a, this.b, this.c, this.d, ...label));
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Random.pick needs a non-empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** One key chosen with the given weights (weights need not sum to 1; zero weights are never chosen). */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((sum, [, w]) => sum + Math.max(0, w), 0);
    if (total <= 0) throw new Error('Random.weighted needs a positive weight');
    let r = this.next() * total;
    for (const [value, weight] of entries) {
      r -= Math.max(0, weight);
      if (r < 0 && weight > 0) return value;
    }
    return entries.filter(([, w]) => w > 0).at(-1)![0];
  }

  /** Exponentially distributed value with the given mean (for Poisson arrivals). */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Integer milliseconds uniformly between two durations given in seconds. */
  seconds(minSeconds: number, maxSeconds: number): number {
    return Math.round((minSeconds + this.next() * (maxSeconds - minSeconds)) * 1000);
  }

  /** `n` decimal digits (leading zeros allowed). */
  digits(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += String(Math.floor(this.next() * 10));
    return out;
  }

  /** A lowercase UUID shaped as version 4 (the platform's ids are lowercase UUIDs). */
  uuid(): string {
    const a = this.nextUint32();
    const b = this.nextUint32();
    const c = this.nextUint32();
    const d = this.nextUint32();
    return (
      hex32(a) +
      '-' +
      hex16(b >>> 16) +
      '-4' +
      HEX[b & 0xfff]! +
      '-' +
      HEX_BYTE[((c >>> 24) & 0x3f) | 0x80]! +
      HEX_BYTE[(c >>> 16) & 0xff]! +
      '-' +
      hex16(c & 0xffff) +
      hex32(d)
    );
  }
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Three hex digits for 0..0xfff. */
const HEX = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(3, '0'));

function hex16(n: number): string {
  return HEX_BYTE[(n >>> 8) & 0xff]! + HEX_BYTE[n & 0xff]!;
}

function hex32(n: number): string {
  return hex16(n >>> 16) + hex16(n & 0xffff);
}
