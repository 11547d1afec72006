import { defineConfig } from 'prisma/config';
// Prisma 6.19's WebAssembly schema engine (engine: 'js') applies migrations through a driver adapter,
// so no native engine is downloaded. @prisma/adapter-pg 7.10 is used here only because 6.19's adapter
// cannot read Postgres's `name` type that migrate queries return (see docs/operations.md).
import { PrismaPg } from '@prisma/adapter-pg-migrate';

/**
 * Prisma CLI config for one service. Each service owns one Postgres schema (its tables and its own
 * _prisma_migrations history): search_path points the migration engine at it.
 */
export function serviceConfig(schema: string) {
  return defineConfig({
    experimental: { adapter: true },
    engine: 'js',
    schema: './schema.prisma',
    migrations: { path: './migrations' },
    async adapter() {
      const connectionString = process.env['DATABASE_URL'];
      if (!connectionString) throw new Error('DATABASE_URL is required');
      return new PrismaPg({ connectionString, options: `-c search_path=${schema}` });
    },
  });
}
