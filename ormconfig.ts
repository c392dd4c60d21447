import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createDataSource } from './src/db/data-source';
import { KEYGATE } from './src/modules';

/**
 * The data source the TypeORM CLI uses (`npx typeorm-ts-node-commonjs -d ormconfig.ts …`).
 * It uses DATABASE_URL, or else the embedded PostgreSQL that `npm start` is running.
 */
function resolveUrl(): string {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const connection = path.resolve(process.env.DATA_DIR ?? '.data', 'postgres', 'connection.json');
  if (existsSync(connection)) {
    const { port, password } = JSON.parse(readFileSync(connection, 'utf8')) as { port: number; password: string };
    return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  }
  throw new Error('Set DATABASE_URL, or run `npm start` first so the embedded PostgreSQL is up.');
}

export default createDataSource({ url: resolveUrl(), entities: KEYGATE.entities });
