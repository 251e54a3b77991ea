// Preloaded (`node --import`) into every `repram start` process the load runner spawns
// (see cluster.ts): the node ends itself when its parent, the runner, is gone, even if
// the runner was SIGKILLed and could not clean up. Plain JavaScript, so plain node can
// load it without tsx. SIGTERM first (graceful drain), exit after a grace period.
const parent = process.ppid
const timer = setInterval(() => {
  if (process.ppid === parent) return
  clearInterval(timer)
  process.kill(process.pid, 'SIGTERM')
  setTimeout(() => process.exit(1), 5000).unref()
}, 500)
timer.unref()
