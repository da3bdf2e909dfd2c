/** Contract: `stats { connections, onlineUsers, messagesPerMinute, node, at }`. */
export interface StatsView {
  connections: number;
  onlineUsers: number;
  messagesPerMinute: number;
  node: string;
  at: string;
}
