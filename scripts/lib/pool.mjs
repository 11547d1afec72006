// Runs fn over items with at most `size` calls in flight (the project's scripts: bench, fault campaign).
export async function pool(items, size, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}
