/**
 * How a node is named wherever people read it (its log, other nodes' logs,
 * the page, the job summary): by its CI shard index when the CI gave one,
 * so "node 2" is the job the CI calls shard 2 in every run; by the order it
 * joined the run otherwise.
 */
export function nodeLabel(index: number, shard?: number): string {
  return `node ${shard ?? index}`;
}
