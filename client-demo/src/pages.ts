import uPlot from 'uplot';
import { io, Socket } from 'socket.io-client';
import { SessionInfo } from './api';
import { Auth } from './auth';
import { $, el, setStatus } from './dom';

export async function renderSessions(auth: Auth): Promise<void> {
  const sessions = await auth.call<SessionInfo[]>('GET', '/auth/sessions');
  $('session-rows').replaceChildren(
    ...sessions.map((s) => {
      const signOut = el('button', { type: 'button', 'data-testid': 'session-signout' }, s.current ? 'Sign out' : 'Sign out this device');
      signOut.addEventListener('click', async () => {
        if (s.current) return auth.logout();
        await auth.call('DELETE', `/auth/sessions/${encodeURIComponent(s.id)}`);
        setStatus('Device signed out');
        await renderSessions(auth);
      });
      return el(
        'tr',
        { 'data-testid': 'session-row', 'data-session-id': s.id },
        el('td', {}, `${s.userAgent ?? 'unknown device'}${s.current ? ' (this device)' : ''}`),
        el('td', {}, s.ip ?? ''),
        el('td', {}, new Date(s.createdAt).toLocaleString()),
        el('td', {}, new Date(s.lastUsedAt).toLocaleString()),
        el('td', {}, signOut),
      );
    }),
  );
}

interface Stats {
  connections: number;
  onlineUsers: number;
  messagesPerMinute: number;
  node: string;
  at: string;
}

/** The admin dashboard: `stats` every 2 s from /dashboard, as numbers and a rolling chart. */
export class Dashboard {
  private socket: Socket | null = null;
  private plot: uPlot | null = null;
  private readonly series: [number[], number[], number[]] = [[], [], []];

  constructor(private readonly auth: Auth) {
    auth.onToken(() => {
      if (!this.socket) return;
      this.socket.auth = { token: auth.accessToken };
      if (this.socket.connected) this.socket.emit('auth:refresh', { token: auth.accessToken }, () => undefined);
    });
  }

  open(): void {
    if (this.socket) return;
    this.socket = io('/dashboard', { auth: { token: this.auth.accessToken }, transports: ['websocket', 'polling'] });
    this.socket.on('stats', (stats: Stats) => this.show(stats));
    this.socket.on('auth:expired', () => void this.auth.refresh());
    this.socket.on('connect_error', (error: Error & { data?: { message: string } }) => setStatus(`Dashboard: ${error.data?.message ?? error.message}`, true));
  }

  close(): void {
    this.socket?.disconnect();
    this.socket = null;
  }

  private show(stats: Stats): void {
    $('stat-connections').textContent = String(stats.connections);
    $('stat-onlineUsers').textContent = String(stats.onlineUsers);
    $('stat-messagesPerMinute').textContent = String(stats.messagesPerMinute);
    $('stat-node').textContent = stats.node;
    const [at, connections, rate] = this.series;
    at.push(Date.parse(stats.at) / 1000);
    connections.push(stats.connections);
    rate.push(stats.messagesPerMinute);
    if (at.length > 150) this.series.forEach((s) => s.shift());
    if (!this.plot) {
      this.plot = new uPlot(
        {
          width: Math.min(900, $('chart').clientWidth || 600),
          height: 260,
          series: [{}, { label: 'connections', stroke: '#3559e0' }, { label: 'messages / min', stroke: '#e07a35' }],
        },
        this.series,
        $('chart'),
      );
    } else {
      this.plot.setData(this.series);
    }
  }
}
