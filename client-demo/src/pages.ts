import uPlot from 'uplot';
import type { DashboardClient, ParleyClient, Stats } from '@parley/client';
import { $, el, setStatus } from './dom';

export async function renderSessions(client: ParleyClient): Promise<void> {
  const sessions = await client.auth.sessions();
  $('session-rows').replaceChildren(
    ...sessions.map((s) => {
      const signOut = el('button', { type: 'button', 'data-testid': 'session-signout' }, s.current ? 'Sign out' : 'Sign out this device');
      signOut.addEventListener('click', async () => {
        if (s.current) return client.auth.logout();
        await client.auth.request('DELETE', `/auth/sessions/${encodeURIComponent(s.id)}`);
        setStatus('Device signed out');
        await renderSessions(client);
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

/** The admin dashboard: `stats` every 2 s from /dashboard, as numbers and a rolling chart. */
export class Dashboard {
  private readonly dashboard: DashboardClient;
  private plot: uPlot | null = null;
  private readonly series: [number[], number[], number[]] = [[], [], []];

  constructor(client: ParleyClient) {
    this.dashboard = client.dashboard();
    this.dashboard.on('stats', (stats) => this.show(stats));
    this.dashboard.on('state', (state) => {
      if (state.status === 'closed' && state.reason === 'refused') setStatus(`Dashboard: ${state.error?.message ?? 'refused'}`, true);
    });
  }

  open(): void {
    this.dashboard.connect();
  }

  close(): void {
    this.dashboard.close();
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
