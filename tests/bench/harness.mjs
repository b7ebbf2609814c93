// Shared benchmark loop: contenders run in interleaved rounds (a noisy neighbour slows all of
// them alike), after one warm-up each; the median round counts. The first contender is the peer
// every ratio is against. Prints; asserts nothing.

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * @param {string} title   first line of the report
 * @param {Record<string, () => void>} contenders  each does `items` units of work per call
 * @param {{items: number, rounds: number, unit: string, peerLabel: string, width?: number}} opts
 */
export function runInterleaved(title, contenders, { items, rounds, unit, peerLabel, width = 58 }) {
  const times = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (const fn of Object.values(contenders)) fn(); // warm-up (JIT, wasm tier-up)
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const t0 = process.hrtime.bigint();
      fn();
      times[name].push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  }
  const results = Object.fromEntries(Object.entries(times).map(([name, ts]) => [name, items / median(ts)]));
  const [peerName, peer] = Object.entries(results)[0];
  console.log(`${title}: ${items}, median of ${rounds} rounds, Node ${process.version}`);
  for (const [name, rate] of Object.entries(results)) {
    const ratio = name === peerName ? "" : `  ${(rate / peer).toFixed(2)}x ${peerLabel}`;
    console.log(`${name.padEnd(width)} ${Math.round(rate).toLocaleString("en-US").padStart(10)} ${unit}/s${ratio}`);
  }
  return results;
}
