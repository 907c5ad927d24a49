/**
 * The nodes of one run: index assignment in join order, rejoin by node_id,
 * and who is connected. The run decides what joining means for the work.
 */

/** How a run reaches the channel a node joined on (implemented by the connection). */
export interface NodeLink {
  /** Sends a push (ref null) on the node's channel. */
  push(event: string, payload: Record<string, unknown>): void;
  /** The same node_id joined on another channel: close this one. */
  supersede(): void;
}

export interface RunNode {
  readonly index: number;
  readonly nodeId: string | undefined;
  workers: number | undefined;
  /** Set while a channel is joined. */
  link: NodeLink | undefined;
  /** Sent `leave`. */
  left: boolean;
  /** Gone past the reconnect grace; its leases were requeued. */
  lost: boolean;
  filesReported: number;
  /** The files the node said it is running (the `running` extension); undefined if it never said. */
  running: string[] | undefined;
  /** Bumped on every (re)join, so a superseded channel's events are recognised as stale. */
  generation: number;
  cancelGrace: (() => void) | undefined;
}

/** What a channel holds after joining: the node and the generation it joined as. */
export interface Member {
  readonly index: number;
  readonly generation: number;
}

export class NodeTable {
  #nodes: RunNode[] = [];
  #byNodeId = new Map<string, RunNode>();

  get size(): number {
    return this.#nodes.length;
  }

  all(): readonly RunNode[] {
    return this.#nodes;
  }

  get(index: number): RunNode | undefined {
    return this.#nodes[index];
  }

  /** A node with this node_id has joined before. */
  knows(nodeId: string | undefined): boolean {
    return nodeId !== undefined && this.#byNodeId.has(nodeId);
  }

  /**
   * A join without node_id is always a new node; one with a known node_id
   * gets its old node back. Returns the channel it replaces, if any.
   */
  join(nodeId: string | undefined, workers: number | undefined, link: NodeLink): { node: RunNode; replaced?: NodeLink } {
    const known = nodeId === undefined ? undefined : this.#byNodeId.get(nodeId);
    if (known === undefined) {
      const node = this.add(nodeId, workers);
      node.link = link;
      return { node };
    }
    const replaced = known.link;
    known.cancelGrace?.();
    known.cancelGrace = undefined;
    known.generation += 1;
    known.link = link;
    known.left = false;
    known.lost = false;
    if (workers !== undefined) known.workers = workers;
    return { node: known, replaced };
  }

  /** Appends a node (also used to restore one from the journal). */
  add(nodeId: string | undefined, workers: number | undefined): RunNode {
    const node: RunNode = {
      index: this.#nodes.length,
      nodeId,
      workers,
      link: undefined,
      left: false,
      lost: false,
      filesReported: 0,
      running: undefined,
      generation: 0,
      cancelGrace: undefined,
    };
    this.#nodes.push(node);
    if (nodeId !== undefined) this.#byNodeId.set(nodeId, node);
    return node;
  }

  /** The node, if `member` is still its current channel. */
  current(member: Member): RunNode | undefined {
    const node = this.#nodes[member.index];
    return node !== undefined && node.generation === member.generation && node.link !== undefined ? node : undefined;
  }

  isAvailable(node: RunNode): boolean {
    return node.link !== undefined && !node.left;
  }

  available(): RunNode[] {
    return this.#nodes.filter(node => this.isAvailable(node));
  }

  hasConnected(): boolean {
    return this.#nodes.some(node => node.link !== undefined);
  }
}
