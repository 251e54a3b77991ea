// Entry of a simulation shard's worker thread: TypeScript through tsx (a worker does not
// inherit `--import tsx`), then the shard itself.
import { register } from 'tsx/esm/api'
register()
await import(new URL('./shard-worker.ts', import.meta.url).href)
