// Preloaded into the server by bench/leak.mjs (node --expose-gc -r …, with an IPC channel): on
// request it runs a full GC and reports the memory that survives it, so heap growth is
// measured without GC noise. (IPC rather than a signal: Nest shuts down on SIGUSR2 and the like.)
if (process.send) {
  process.channel.unref();
  process.on('message', (message) => {
    if (message !== 'memory-probe') return;
    global.gc();
    process.send({ memory: process.memoryUsage() });
  });
}
