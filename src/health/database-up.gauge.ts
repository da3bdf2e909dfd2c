import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { MetricsService } from '../metrics/metrics.service';

const PING_TIMEOUT_MS = 2000;

/**
 * `parley_database_up`: the database answers a `SELECT 1` within 2 s, checked when Prometheus
 * scrapes (no timer, no query when nobody looks). What the DatabaseDown alert watches.
 */
@Injectable()
export class DatabaseUpGauge implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    const ping = () => this.ping();
    new Gauge({
      name: 'parley_database_up',
      help: '1 when the database answered a ping within 2 s at scrape time',
      registers: [this.metrics.registry],
      async collect() {
        this.set((await ping()) ? 1 : 0);
      },
    });
  }

  private async ping(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS))),
      ]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
