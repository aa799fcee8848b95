/**
 * `retryable/redis`: an `UpstreamStore` on Redis, so that every process of a fleet shares one
 * `Upstream`'s state (the learned rate, pacing slots, cool-downs, the outage probe). Its own entry
 * point, so the core stays free of runtime dependencies: `ioredis` and `redis` are optional peers,
 * and this module imports neither (it calls the client it is given).
 */
export { redisStore, RedisStore, type RedisStoreOptions, type RedisStoreStats } from './store.js';
export type { IORedisLike, NodeRedisLike, RedisClientLike } from './client.js';
