/**
 * mulberry32: a tiny, fast PRNG with a 32-bit state. Good enough to spread retry delays, and
 * deterministic, so a contention run can be replayed exactly from its seed.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Peers other than ours read `Math.random` directly, so the only way to seed them is to replace it
 * for the duration of a run. Returns the function that puts the real one back.
 */
export function replaceMathRandom(random: () => number): () => void {
  const original = Math.random;
  Math.random = random;
  return () => {
    Math.random = original;
  };
}
