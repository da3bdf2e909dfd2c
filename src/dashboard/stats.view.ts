/** One node's own figures. */
export interface NodeStats {
  node: string;
  connections: number;
  onlineUsers: number;
  messagesPerMinute: number;
}

/**
 * Contract: `stats { connections, onlineUsers, messagesPerMinute, node, at }`, cluster-wide
 * (sums over every node; a user connected to two nodes counts on each), plus `nodes`, one
 * row per node (an extra field).
 */
export interface StatsView {
  connections: number;
  onlineUsers: number;
  messagesPerMinute: number;
  node: string;
  at: string;
  nodes: NodeStats[];
}
