/** After the redis project: stops its redis-server. */
export default async function redisGlobalTeardown(): Promise<void> {
  await globalThis.fastCiRedis?.dispose();
}
