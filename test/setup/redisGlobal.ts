/**
 * Before the redis project: one redis-server for its test files (each test
 * server takes keys under a prefix of its own). Its URL reaches the test
 * files through the environment; globalTeardown stops it.
 */
import { startRedisServer, type RedisServer } from '../helpers/redisServer';

declare global {
  var fastCiRedis: RedisServer | undefined;
}

export default async function redisGlobalSetup(): Promise<void> {
  const redis = await startRedisServer();
  globalThis.fastCiRedis = redis;
  process.env.FAST_CI_TEST_REDIS_URL = redis.url;
}
