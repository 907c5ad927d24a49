export { resolveConfig, parseServerUrl, redact, DEFAULT_SERVER } from './resolveConfig';
export type { FastCiConfig, FastCiOptions, ResolveInput } from './resolveConfig';
export { detectCi } from './ciEnv';
export type { CiInfo, Env } from './ciEnv';
